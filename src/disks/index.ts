export { attachLoop, detachLoop, withLoop } from "./loop.js";
