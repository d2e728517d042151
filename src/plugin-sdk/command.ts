// Commands a plugin adds to the accessbot CLI, mounted as `accessbot <plugin-id> <name>` (set-up
// helpers such as writing an app package). Described in plain data so the SDK carries no CLI
// library's types: the CLI turns each option into a flag, parses, and calls `run`.

/** One `--name <value>` (or `--name` switch) of a plugin command. */
export interface PluginCommandOption {
  /** The long flag without its dashes, lower-case words joined by `-` (`app-id`). */
  name: string;
  description: string;
  /**
   * Placeholder of the value in the help (`GUID`, `FILE`). Without it the option is a switch:
   * present = true, absent = undefined.
   */
  value?: string;
  /** The command refuses to run without it (only for options with a value). */
  required?: boolean;
  /** Used when the option is not given (only for options with a value). */
  default?: string;
}

/** What a plugin command may touch: two output streams and the directory it was run from. */
export interface PluginCommandIo {
  /** One line of the command's answer (stdout). */
  out(line: string): void;
  /** One line of warnings (stderr); failures are thrown as PluginCommandError instead. */
  err(line: string): void;
  /** The caller's working directory: resolve relative paths against it. */
  cwd: string;
}

/** Parsed options, keyed by option name (`app-id`): a string, true for a switch, or undefined. */
export type PluginCommandValues = Record<string, string | true | undefined>;

export interface PluginCommand {
  /** The sub-command, lower-case words joined by `-` (`manifest`). */
  name: string;
  /** One line for the help. */
  description: string;
  options?: PluginCommandOption[];
  /**
   * Does the work. Bad input: throw PluginCommandError (printed as one error line, exit 1,
   * and the command must have changed nothing). Any other error is reported as a bug.
   */
  run(values: PluginCommandValues, io: PluginCommandIo): Promise<void> | void;
}

/** Why a plugin command refused its input: `BAD_REQUEST` (usage) or `VALIDATION_FAILED` (a value). */
export type PluginCommandErrorCode = 'BAD_REQUEST' | 'VALIDATION_FAILED';

export class PluginCommandError extends Error {
  readonly code: PluginCommandErrorCode;
  /** How to fix it, one short phrase (shown in parentheses). */
  readonly fix: string;

  constructor(code: PluginCommandErrorCode, message: string, fix: string) {
    super(message);
    this.name = 'PluginCommandError';
    this.code = code;
    this.fix = fix;
  }
}
