// The labelwise CLI: a composition root that only parses arguments and calls the layers below.
import { Command, CommanderError, InvalidArgumentError } from "commander";
import { checkCommand } from "./check.js";
import { infoCommand } from "./info.js";
import { packageVersion } from "./package-version.js";

/** Runs the CLI with `argv` (node-style, program name first) and returns the exit code. */
export async function run(argv: readonly string[]): Promise<number> {
  const program = new Command()
    .name("labelwise")
    .description("Label-efficient 3D medical image segmentation (semi- and box-supervised) on libtorch")
    .version(packageVersion())
    .exitOverride()
    .showHelpAfterError();
  program.addCommand(infoCommand());
  program.addCommand(checkCommand());
  program.addCommand((await import("./plan.js")).planCommand());
  program.addCommand((await import("./boxes-from-labels.js")).boxesFromLabelsCommand());
  program.addCommand((await import("./train.js")).trainCommand());
  program.addCommand((await import("./predict.js")).predictCommand());
  program.addCommand((await import("./suggest.js")).suggestCommand());
  program.addCommand((await import("./evaluate.js")).evaluateCommand());
  program.addCommand((await import("./demo.js")).demoCommand());
  program.addCommand((await import("./serve.js")).serveCommand());
  // Subcommands do not inherit these from the program: without them a bad argument to a
  // subcommand would exit the process instead of returning its code from run().
  for (const command of program.commands) command.exitOverride().showHelpAfterError();
  try {
    await program.parseAsync([...argv]);
    return 0;
  } catch (e) {
    // Commander prints the errors of argument parsers itself (and then throws a plain
    // CommanderError); an InvalidArgumentError thrown by an action reaches here unprinted.
    if (e instanceof InvalidArgumentError) {
      console.error(`labelwise: ${e.message}`);
      return e.exitCode;
    }
    if (e instanceof CommanderError) return e.exitCode;
    console.error(`labelwise: ${(e as Error).message}`);
    return 1;
  }
}
