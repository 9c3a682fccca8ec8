import { Command } from 'commander';
import { registerAccountCommands } from './account-commands.ts';
import { registerContactCommands } from './contact-commands.ts';
import { registerDigestCommands } from './digest-commands.ts';
import { registerProcessCommands } from './process-commands.ts';
import { registerUserCommands } from './user-commands.ts';

/** `touchbase`: thin wrappers over the use cases. */
export async function main(argv: readonly string[]): Promise<void> {
  const program = new Command()
    .name('touchbase')
    .description('Keep in touch with the people who matter: a weekly digest from your mailbox headers.')
    .showHelpAfterError('(add --help for usage)');
  registerAccountCommands(program);
  registerContactCommands(program);
  registerDigestCommands(program);
  registerUserCommands(program);
  registerProcessCommands(program);
  await program.parseAsync([...argv]);
}
