export { baseIdentity, openBaseImage, type OpenBaseOptions, type OpenedBase } from "./open-image.js";
