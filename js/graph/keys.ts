/** Keys shared by the graph modules: one spelling of "the edge from a to b". */

export const edgeKey = (source: string, target: string): string => `${source}\u0000${target}`;
