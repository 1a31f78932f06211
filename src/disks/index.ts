export { attachLoop, detachLoop, detachLoopsBackedBy, loopsBackedBy, withLoop } from "./loop.js";
