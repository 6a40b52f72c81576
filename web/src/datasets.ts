// The bundled datasets, built into the site as separate chunks and fetched only when
// chosen, so the page works offline and from any static host.

export interface Bundled {
  label: string;
  path: string; // the file's name, as a checkpoint records it
  load: () => Promise<string>;
}

export const BUNDLED: Record<string, Bundled> = {
  names: {
    label: 'Names (32,033 baby names)',
    path: 'names.txt',
    load: async () => (await import('../../data/names.txt?raw')).default,
  },
  shakespeare: {
    label: 'Shakespeare, one line per document',
    path: 'tinyshakespeare.txt',
    load: async () => (await import('../../data/tinyshakespeare.txt?raw')).default,
  },
};
