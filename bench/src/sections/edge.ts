import type { Section } from '../section.ts';

export const edgeSection: Section = {
  id: '4',
  title: 'todo',
  async run() {
    throw new Error('not written yet');
  },
};
