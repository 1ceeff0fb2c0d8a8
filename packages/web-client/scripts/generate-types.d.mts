// Types for the generator's exports (the contract test imports it).
export const OUTPUTS: { openapi: URL; messages: URL };
export function renderAll(): Promise<{ openapi: string; messages: string }>;
export function renderOpenApi(): Promise<string>;
export function renderMessages(): Promise<string>;
export function renderAsyncApi(document: unknown): string;
