// The lessons this browser has opened: their codes, kept in the browser's own storage (never on the server).
const KEY = "class-mood-lessons";
const MAX = 200;
const CODE = /^[A-Za-z0-9_-]{22}$/;

function stored() {
  try {
    const codes = JSON.parse(window.localStorage.getItem(KEY) || "[]");
    return Array.isArray(codes) ? codes.filter((c) => typeof c === "string" && CODE.test(c)) : [];
  } catch (err) {
    return [];  // storage blocked or its value damaged: start afresh
  }
}

export default function ({data, setStateValue}) {
  let codes = stored();
  if (data.add && CODE.test(data.add) && !codes.includes(data.add)) codes = [data.add, ...codes].slice(0, MAX);
  if (data.remove) codes = codes.filter((c) => c !== data.remove);
  try {
    window.localStorage.setItem(KEY, JSON.stringify(codes));
  } catch (err) {
    // private browsing with storage off: the list lives as long as the page
  }
  setStateValue("codes", codes);
}
