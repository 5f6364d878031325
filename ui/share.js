// One capture per page; it outlives re-renders of the component (a new frame rate, say).
let capture = null;
let mounted = 0;
// How long the button may be off the page before the share stops: a rerun of the page can take its
// element away and draw it again a moment later (longer on a busy server), and that must not end a share.
const DETACHED_MS = 5000;

function stopCapture(setTriggerValue, why) {
  if (!capture) return;
  console.info(`share: stopped (${why}) after ${capture.sent} frames`);
  clearInterval(capture.timer);
  capture.stream.getTracks().forEach((track) => track.stop());
  capture = null;
  if (setTriggerValue) setTriggerValue("event", {kind: "stopped", why: why});
}

function sendFrame(setTriggerValue, maxW, maxH, quality) {
  // The page has gone to another mode or away: the button has been off it for a while, so stop sharing.
  if (!capture.parent.isConnected) {
    capture.detached = capture.detached || Date.now();
    if (Date.now() - capture.detached > DETACHED_MS) stopCapture(null, "detached");
    return;
  }
  capture.detached = 0;
  const {video, canvas} = capture;
  const w = video.videoWidth, h = video.videoHeight;
  if (!w || !h) return;
  const scale = Math.min(1, maxW / w, maxH / h);
  canvas.width = Math.round(w * scale);
  canvas.height = Math.round(h * scale);
  if (capture.encoding) return;  // the previous frame is still being encoded: skip this one
  canvas.getContext("2d").drawImage(video, 0, 0, canvas.width, canvas.height);
  capture.encoding = true;
  const sharing = capture;
  // Encoded off the page's main thread, so that the page stays quick to draw the views it receives.
  canvas.toBlob((blob) => {
    const reader = new FileReader();
    reader.onloadend = () => {
      sharing.encoding = false;
      if (capture !== sharing || !reader.result) return;  // stopped meanwhile
      sharing.sent += 1;
      setTriggerValue("frame", {jpeg: reader.result, width: canvas.width, height: canvas.height,
                                captured: [w, h], n: sharing.sent, tz: -new Date().getTimezoneOffset(),
                                generation: sharing.generation});
    };
    if (blob) reader.readAsDataURL(blob); else sharing.encoding = false;
  }, "image/jpeg", quality);
}

export default function ({parentElement, data, setTriggerValue}) {
  const mount = ++mounted;
  const share = parentElement.querySelector("#share");
  const stop = parentElement.querySelector("#stop");
  const status = parentElement.querySelector("#status");
  const period = 1000 / Math.max(0.2, Math.min(5, data.fps));
  const show = () => {
    share.hidden = !!capture;
    stop.hidden = !capture;
    status.textContent = capture ? `Sharing, ${data.fps} frame${data.fps === 1 ? "" : "s"} a second.`
                                 : "Not sharing.";
  };
  const start = () => {
    clearInterval(capture.timer);
    capture.timer = setInterval(() => sendFrame(setTriggerValue, data.max_width, data.max_height, data.quality),
                                period);
  };
  share.onclick = async () => {
    try {
      const stream = await navigator.mediaDevices.getDisplayMedia(
        {video: {width: {ideal: data.max_width}, height: {ideal: data.max_height}, frameRate: {ideal: 5}},
         audio: false});
      const video = document.createElement("video");
      video.muted = true;
      video.srcObject = stream;
      await video.play();
      capture = {stream, video, canvas: document.createElement("canvas"), timer: null, sent: 0, encoding: false,
                 parent: parentElement, detached: 0, generation: data.generation};
      stream.getVideoTracks()[0].addEventListener("ended", () => { stopCapture(setTriggerValue, "ended"); show(); });
      setTriggerValue("event", {kind: "started", tz: -new Date().getTimezoneOffset()});
      start();
      sendFrame(setTriggerValue, data.max_width, data.max_height, data.quality);
    } catch (err) {
      setTriggerValue("event", {kind: "error", message: `${err.name}: ${err.message}`});
    }
    show();
  };
  stop.onclick = () => { stopCapture(setTriggerValue, "stop"); show(); };
  if (capture && capture.generation !== data.generation) {
    // The page went to another mode and came back: that ended the share.
    stopCapture(setTriggerValue, "mode");
  }
  if (capture) {  // re-rendered while sharing: go on, at the new rate
    capture.parent = parentElement;
    start();
  }
  show();
  return () => {
    if (capture) clearInterval(capture.timer);
    // Unmounted for good (another mode, the page left) unless a re-render mounts it again meanwhile.
    setTimeout(() => { if (mounted === mount) stopCapture(null, "unmounted"); }, DETACHED_MS);
  };
}
