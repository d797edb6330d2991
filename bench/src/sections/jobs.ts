import type { Section } from '../section.ts';

export const jobsSection: Section = {
  id: '2',
  title: 'todo',
  async run() {
    throw new Error('not written yet');
  },
};
