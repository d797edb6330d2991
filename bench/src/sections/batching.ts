import type { Section } from '../section.ts';

export const batchingSection: Section = {
  id: '3',
  title: 'todo',
  async run() {
    throw new Error('not written yet');
  },
};
