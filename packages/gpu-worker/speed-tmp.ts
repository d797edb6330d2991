import { loadBundle, openBundleBackend } from '@diffae/shared/node';
const b = await loadBundle('/tmp/gw-fixture/bundle');
const be = await openBundleBackend(b, { providers: ['cpu'], threads: 1 });
const S = b.manifest.imageSize, Z = b.manifest.zDim;
for (const n of [1, 4]) {
  const x = { data: new Float32Array(n*3*S*S), shape: [n,3,S,S] };
  const z = { data: new Float32Array(n*Z), shape: [n,Z] };
  await be.eps(x, new Float32Array(n).fill(10), z);
  const t0 = performance.now();
  for (let i=0;i<10;i++) await be.eps(x, new Float32Array(n).fill(10), z);
  console.log(n, (performance.now()-t0)/10, 'ms/eps');
}
