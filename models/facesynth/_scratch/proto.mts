import { generate, faceToSvgString } from 'facesjs';
import { Resvg } from '@resvg/resvg-js';
import { writeFileSync } from 'node:fs';
const faces = [];
for (let i = 0; i < 6; i++) faces.push(generate(undefined, { gender: i % 2 ? 'female' : 'male' }));
faces.push(generate({ accessories: { id: 'santa-hat' }, hair: {id:'afro'} }));
faces.push(generate({ accessories: { id: 'hat2' } }, {gender:'female'}));
let t = performance.now();
faces.forEach((f, i) => {
  const svg = faceToSvgString(f);
  const png = new Resvg(svg, { fitTo: { mode: 'width', value: 200 }, background: '#ffffff' }).render().asPng();
  writeFileSync(`/tmp/fs/full${i}.png`, png);
});
console.log('ms', performance.now() - t);
