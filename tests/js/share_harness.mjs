// Drives ui/share.js in Node with a fake clock, DOM and display capture, and prints what happened as
// JSON lines: {t, frames, sharing, console}. Scenario (argv[3]): "rerun" (the button leaves the page
// for REMOVED ms and comes back in a new element) or "leave" (it leaves for good).
const [, , scriptPath, scenario, removedMs] = process.argv;

let now = 0;
const timers = new Map();
let nextId = 1;
globalThis.Date.now = () => now;
globalThis.setInterval = (fn, ms) => { timers.set(nextId, {fn, ms, at: now + ms, every: true}); return nextId++; };
globalThis.setTimeout = (fn, ms) => { timers.set(nextId, {fn, ms, at: now + ms, every: false}); return nextId++; };
globalThis.clearInterval = (id) => timers.delete(id);
globalThis.clearTimeout = (id) => timers.delete(id);
// The JPEG's encoding and reading, each a turn of the event loop.
const settle = async () => { for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve)); };
async function advance(ms) {
  const end = now + ms;
  for (;;) {
    const due = [...timers.entries()].filter(([, t]) => t.at <= end).sort((a, b) => a[1].at - b[1].at)[0];
    if (!due) break;
    const [id, t] = due;
    now = t.at;
    if (t.every) t.at += t.ms; else timers.delete(id);
    t.fn();
    await settle();
  }
  now = end;
}

const logs = [];
console.info = (line) => logs.push(line);
class FileReader {
  readAsDataURL() { this.result = "data:image/jpeg;base64,AAAA"; setImmediate(() => this.onloadend()); }
}
globalThis.FileReader = FileReader;
const track = {stop() { track.stopped = true; }, addEventListener() {}};
globalThis.navigator = {mediaDevices: {getDisplayMedia: async () => ({getTracks: () => [track], getVideoTracks: () => [track]})}};
globalThis.document = {
  createElement: (tag) => tag === "video"
    ? {videoWidth: 1920, videoHeight: 1080, play: async () => {}}
    : {getContext: () => ({drawImage() {}}), toBlob: (done) => setImmediate(() => done({}))},
};
function element() {
  const parts = Object.fromEntries(["share", "stop", "status"].map((id) => [id, {hidden: false, textContent: ""}]));
  return {isConnected: true, querySelector: (selector) => parts[selector.slice(1)], parts};
}

const render = (await import(scriptPath)).default;
let frames = 0;
const setTriggerValue = (name) => { if (name === "frame") frames += 1; };
const data = {fps: 1, max_width: 1920, max_height: 1080, quality: 0.85, generation: 0};
const report = (what) => console.log(JSON.stringify({what, t: now, frames, sharing: !track.stopped, console: logs}));

let parent = element();
let cleanup = render({parentElement: parent, data, setTriggerValue});
await parent.parts.share.onclick();
await settle();
await advance(3000);
report("shared");
// The page runs again: the button's element leaves the page, and (a rerun) a new one is drawn later.
parent.isConnected = false;
cleanup();
if (scenario === "rerun") {
  await advance(Number(removedMs));
  parent = element();
  cleanup = render({parentElement: parent, data, setTriggerValue});
  await advance(3000);
} else {
  await advance(10000);
}
report("after");
