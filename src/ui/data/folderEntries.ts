/**
 * The three ways a folder reaches the page (an <input webkitdirectory>, the directory picker, drag and
 * drop), each turned into the same list of files with their paths relative to what the user picked.
 */

export interface PickedFile {
  path: string;
  file: File;
}

/** <input type=file webkitdirectory>: the browser already gives "folder/sub/name.jpg". */
export function fromFileList(list: FileList | File[]): PickedFile[] {
  return Array.from(list, (file) => ({ path: file.webkitRelativePath || file.name, file }));
}

interface DirHandle {
  kind: 'directory';
  name: string;
  values(): AsyncIterable<DirHandle | { kind: 'file'; name: string; getFile(): Promise<File> }>;
}

export const hasDirectoryPicker = (): boolean => typeof (window as { showDirectoryPicker?: unknown }).showDirectoryPicker === 'function';

/** The File System Access directory picker (Chromium); null when the user closes it. */
export async function pickDirectory(): Promise<PickedFile[] | null> {
  const picker = (window as unknown as { showDirectoryPicker: (o?: object) => Promise<DirHandle> }).showDirectoryPicker;
  let root: DirHandle;
  try {
    root = await picker({ mode: 'read' });
  } catch (e) {
    if ((e as Error)?.name === 'AbortError') return null;
    throw e;
  }
  const out: PickedFile[] = [];
  async function walk(dir: DirHandle, prefix: string): Promise<void> {
    for await (const h of dir.values()) {
      if (h.kind === 'directory') await walk(h, `${prefix}${h.name}/`);
      else out.push({ path: prefix + h.name, file: await h.getFile() });
    }
  }
  await walk(root, `${root.name}/`);
  return out;
}

/** Dropped files and folders. Entries must be taken synchronously, before the drop event returns. */
export async function fromDataTransfer(dt: DataTransfer): Promise<PickedFile[]> {
  const entries = Array.from(dt.items, (it) => (it.kind === 'file' ? it.webkitGetAsEntry() : null)).filter((e): e is FileSystemEntry => !!e);
  if (!entries.length) return fromFileList(dt.files);
  const out: PickedFile[] = [];
  // one dropped folder keeps its name as the root (it becomes the dataset name, its sub-folders classes)
  const walk = async (entry: FileSystemEntry, prefix: string): Promise<void> => {
    if (entry.isFile) {
      const file = await new Promise<File>((res, rej) => (entry as FileSystemFileEntry).file(res, rej));
      out.push({ path: prefix + entry.name, file });
    } else if (entry.isDirectory) {
      const reader = (entry as FileSystemDirectoryEntry).createReader();
      for (;;) {
        // readEntries returns at most ~100 entries per call: keep reading until it returns none
        const batch = await new Promise<FileSystemEntry[]>((res, rej) => reader.readEntries(res, rej));
        if (!batch.length) break;
        for (const e of batch) await walk(e, `${prefix}${entry.name}/`);
      }
    }
  };
  for (const e of entries) await walk(e, '');
  return out;
}

/** Names of files that belong to the binary CIFAR-10 / STL-10 releases rather than a photo folder. */
export function looksBinary(files: File[]): boolean {
  return files.length > 0 && files.every((f) => /\.(bin|tar|tar\.gz|tgz)$|^batches\.meta\.txt$|^class_names\.txt$/i.test(f.name));
}
