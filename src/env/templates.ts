/** Templates whose DISK_N_BACKEND_TYPE is `block` (Ganeti's DTS_BLOCK). */
export const BLOCK_TEMPLATES: ReadonlySet<string> = new Set(["plain", "drbd", "blockdev", "rbd", "ext"]);
/** Templates whose DISK_N_BACKEND_TYPE is `file:<driver>` (Ganeti's DTS_FILEBASED); they need a path. */
export const FILE_TEMPLATES: ReadonlySet<string> = new Set(["file", "sharedfile", "gluster"]);
