// Errors a user can fix (bad flag, bad file, unknown character): the CLI prints their
// message alone and exits non-zero, while any other error is a bug and keeps its stack.

/** An error caused by input, with a message written for the person who gave it. */
export class UserError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UserError';
  }
}
