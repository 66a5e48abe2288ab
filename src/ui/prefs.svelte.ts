/**
 * Display preferences shared by every view: the theme and the information unit. One setting each, so the
 * header and the Learn pages always agree; kept in localStorage so a reload keeps the choice. Without a
 * saved theme the system's preference (prefers-color-scheme) decides, and follows it when it changes.
 */
export type Theme = 'dark' | 'light';
export type InfoUnit = 'nats' | 'bits' | 'dits';
export const INFO_UNITS: readonly InfoUnit[] = ['nats', 'bits', 'dits'];

const THEME_KEY = 'infomax-lab:theme';
const UNIT_KEY = 'infomax-lab:unit';

function read(key: string): string | null {
  try {
    return globalThis.localStorage?.getItem(key) ?? null;
  } catch {
    return null; // storage blocked (private mode, sandbox): the choice lasts for this page only
  }
}
function write(key: string, value: string): void {
  try {
    globalThis.localStorage?.setItem(key, value);
  } catch {
    /* see read() */
  }
}

const systemQuery = () => globalThis.matchMedia?.('(prefers-color-scheme: light)');

class Prefs {
  #saved = $state<Theme | null>(null);
  #system = $state<Theme>('dark');
  #unit = $state<InfoUnit>('nats');

  constructor() {
    const t = read(THEME_KEY);
    this.#saved = t === 'dark' || t === 'light' ? t : null;
    const u = read(UNIT_KEY);
    if ((INFO_UNITS as readonly string[]).includes(u ?? '')) this.#unit = u as InfoUnit;
    const q = systemQuery();
    if (q) {
      this.#system = q.matches ? 'light' : 'dark';
      q.addEventListener?.('change', (e) => {
        this.#system = e.matches ? 'light' : 'dark';
        this.#apply();
      });
    }
    this.#apply();
  }

  /** Set the page's theme attribute at once, so charts rebuilt on the change read the new colours. */
  #apply(): void {
    if (globalThis.document) document.documentElement.dataset.theme = this.theme;
  }

  /** The theme in use: the saved choice, else the system's. */
  get theme(): Theme {
    return this.#saved ?? this.#system;
  }
  set theme(t: Theme) {
    this.#saved = t;
    write(THEME_KEY, t);
    this.#apply();
  }

  get unit(): InfoUnit {
    return this.#unit;
  }
  set unit(u: InfoUnit) {
    this.#unit = u;
    write(UNIT_KEY, u);
  }
}

export const prefs = new Prefs();

/** Multiply a value in nats by this to show it in `u`. */
export function unitScale(u: InfoUnit): number {
  return u === 'bits' ? 1 / Math.LN2 : u === 'dits' ? 1 / Math.LN10 : 1;
}
