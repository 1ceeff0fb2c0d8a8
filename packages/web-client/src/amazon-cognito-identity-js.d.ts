// The package exports its SRP helper but its typings do not declare it (src/cognito.ts types the parts it uses).
import "amazon-cognito-identity-js";

declare module "amazon-cognito-identity-js" {
  export const AuthenticationHelper: unknown;
}
