// The apps read their endpoints at start-up from /config.json (written by `make dev` for its stack),
// so one build serves every stack; nothing is baked in at build time.
export interface AppConfig {
  httpApiUrl: string;
  websocketUrl: string;
  region: string;
  userPoolId: string;
  userPoolClientId: string;
  /** The emulator's Cognito under `make dev`; absent on AWS. */
  cognitoEndpoint?: string;
  /** The seeds' rollout flag: true = POST /sessions, false = legacy WebSocket createSession. */
  useHttpSessionCreation: boolean;
  speaker?: { username: string };
}

export async function loadConfig(): Promise<AppConfig> {
  const response = await fetch("/config.json", { cache: "no-store" });
  if (!response.ok) throw new Error(`Could not load /config.json (${response.status}): is \`make dev\` running?`);
  return (await response.json()) as AppConfig;
}
