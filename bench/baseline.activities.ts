/** The baseline workflows' activities: they do nothing, so what is left is Temporal's own cost. */
export function createBaselineActivities() {
  return {
    async noop(_revision: number): Promise<void> {
      return undefined;
    },
    async recordEscalation(_record: { id: string; dueAt: number; escalatedAt: number }): Promise<void> {
      return undefined;
    },
  };
}

export type BaselineActivities = ReturnType<typeof createBaselineActivities>;
