/** A tiny element factory: `h('button', { part: 'button', onclick }, 'Go')`. */
type Attrs = Record<string, string | number | boolean | EventListener | undefined>;
type Child = Node | string | null | undefined | false;

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === false) continue;
    if (typeof value === 'function') el.addEventListener(name.replace(/^on/, ''), value);
    else el.setAttribute(name, value === true ? '' : String(value));
  }
  append(el, children);
  return el;
}

export function append(parent: Node, children: Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    parent.appendChild(typeof c === 'string' ? document.createTextNode(c) : c);
  }
}

/** Ids unique within one shadow root, for label/aria wiring. */
let counter = 0;
export function uid(prefix: string): string {
  counter += 1;
  return `${prefix}-${counter}`;
}

/** Replaces an object URL held by an <img>/<a>, revoking the old one. */
export function setBlobUrl(el: HTMLImageElement | HTMLAnchorElement, blob: Blob | null): string | null {
  const attr = el instanceof HTMLImageElement ? 'src' : 'href';
  const old = el.getAttribute(attr);
  if (old?.startsWith('blob:')) URL.revokeObjectURL(old);
  if (!blob) {
    el.removeAttribute(attr);
    return null;
  }
  const url = URL.createObjectURL(blob);
  el.setAttribute(attr, url);
  return url;
}
