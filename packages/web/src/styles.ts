/** Shadow-DOM styles. Theme through CSS custom properties on the host or through `::part(...)`. */
export const styles = `
:host {
  --diffae-accent: #3b5bdb;
  --diffae-bg: #ffffff;
  --diffae-fg: #1c1d21;
  --diffae-muted: #5c5f66;
  --diffae-border: #d0d3d9;
  --diffae-error: #c92a2a;
  --diffae-radius: 8px;
  display: block;
  box-sizing: border-box;
  max-width: 100%;
  color: var(--diffae-fg);
  background: var(--diffae-bg);
  font: 14px/1.4 system-ui, -apple-system, "Segoe UI", sans-serif;
}
*, *::before, *::after { box-sizing: inherit; }
[hidden] { display: none !important; }
.root { display: grid; gap: 12px; padding: 12px; }
header { display: flex; flex-wrap: wrap; gap: 4px 12px; align-items: baseline; }
header h2 { font-size: 16px; margin: 0; }
.muted { color: var(--diffae-muted); font-size: 12px; }
section { border: 1px solid var(--diffae-border); border-radius: var(--diffae-radius); padding: 10px; }
section > h3 { font-size: 14px; margin: 0 0 8px; }
.dropzone {
  display: grid; place-items: center; text-align: center; gap: 6px;
  min-height: 96px; padding: 12px; cursor: pointer;
  border: 2px dashed var(--diffae-border); border-radius: var(--diffae-radius);
}
.dropzone.over, .dropzone:focus-visible { border-color: var(--diffae-accent); outline: none; }
.images { display: grid; grid-template-columns: repeat(auto-fit, minmax(120px, 1fr)); gap: 8px; }
figure { margin: 0; display: grid; gap: 4px; }
figure img, .gallery img {
  width: 100%; aspect-ratio: 1; object-fit: cover; image-rendering: pixelated;
  background: #f1f3f5; border-radius: 4px;
}
figcaption { font-size: 12px; color: var(--diffae-muted); }
.sliders { display: grid; gap: 6px; max-height: 320px; overflow-y: auto; padding-right: 4px; }
.slider { display: grid; grid-template-columns: minmax(90px, 1fr) 2fr 3.5em; gap: 8px; align-items: center; }
.slider label { overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.slider output { text-align: right; font-variant-numeric: tabular-nums; }
input[type="range"] { width: 100%; accent-color: var(--diffae-accent); }
.row { display: flex; flex-wrap: wrap; gap: 8px; align-items: center; }
button, .button {
  font: inherit; padding: 6px 12px; border-radius: 6px; cursor: pointer; text-decoration: none;
  border: 1px solid var(--diffae-accent); background: var(--diffae-accent); color: #fff;
}
button.secondary, .button.secondary { background: transparent; color: var(--diffae-accent); }
button:disabled { opacity: 0.5; cursor: not-allowed; }
button:focus-visible, .button:focus-visible, input:focus-visible, select:focus-visible {
  outline: 2px solid var(--diffae-accent); outline-offset: 2px;
}
input[type="number"], input[type="text"], select { font: inherit; padding: 4px 6px; max-width: 100%; }
progress { width: 100%; height: 10px; accent-color: var(--diffae-accent); }
.error {
  color: var(--diffae-error); border: 1px solid currentColor; border-radius: 6px; padding: 6px 8px;
  display: flex; gap: 8px; justify-content: space-between; align-items: start;
}
.error button { background: transparent; border: none; color: inherit; padding: 0 4px; }
.gallery { display: grid; grid-template-columns: repeat(auto-fill, minmax(72px, 1fr)); gap: 6px; }
.busy::after { content: " …"; }
@media (max-width: 480px) {
  .root { padding: 8px; gap: 8px; }
  .slider { grid-template-columns: 1fr 3em; }
  .slider input[type="range"] { grid-column: 1 / -1; grid-row: 2; }
  .images { grid-template-columns: 1fr 1fr; }
}
`;
