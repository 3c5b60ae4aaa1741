export const bytes = (s: string) => new TextEncoder().encode(s);
