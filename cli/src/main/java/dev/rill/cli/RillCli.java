package dev.rill.cli;

import java.io.PrintWriter;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.NoSuchFileException;
import java.util.Arrays;
import java.util.concurrent.Callable;
import java.util.logging.Level;
import java.util.logging.Logger;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParseResult;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine.Spec;

/**
 * The {@code rill} command: converts, inspects, runs, tests, verifies and exports Rill models; trains character
 * language models, samples from them and evaluates them.
 *
 * <p>Exit codes: 0 success, 1 failure, 2 usage error. Errors print as one line
 * {@code rill: error: ...} on standard error; {@code --verbose} adds the stack trace.
 */
@Command(name = "rill", mixinStandardHelpOptions = true, version = "rill 0.1.0",
    description = "Converts, inspects, runs and checks Rill recurrent-network models; trains and samples character language models.",
    subcommands = {ConvertCommand.class, InspectCommand.class, RunCommand.class, OnnxTestCommand.class, VerifyCommand.class,
        ExportCommand.class, TrainCommand.class, SampleCommand.class, EvalCommand.class, DemoCommand.class},
    footer = {"", "Exit codes: 0 success, 1 failure, 2 usage error. 'rill COMMAND --help' describes a command."})
public final class RillCli implements Callable<Integer> {

  /** Exit code of a failed command. */
  public static final int EXIT_FAILURE = 1;

  /** Exit code of a usage error (unknown option, missing argument, bad value). */
  public static final int EXIT_USAGE = 2;

  @Spec
  CommandSpec spec;

  @Option(names = "--verbose", scope = ScopeType.INHERIT, description = "On an error, print the stack trace too.")
  boolean verbose;

  /** Called by picocli; use {@link #commandLine()}. */
  public RillCli() {}

  @Override
  public Integer call() {
    throw new ParameterException(spec.commandLine(), "missing command (convert, inspect, run, onnx-test, verify, export, train, sample, eval or demo)");
  }

  /** Held so that the level set by {@link #main} stays: java.util.logging keeps loggers only weakly. */
  private static final Logger RILL_LOG = Logger.getLogger("dev.rill");

  /** Runs the CLI and exits the JVM with its exit code. */
  public static void main(String[] args) {
    // The runtime logs its kernel choice at INFO for services' logs; on a terminal only warnings (such as
    // falling back to the scalar kernels) are worth a line, unless --verbose asks for everything.
    if (!Arrays.asList(args).contains("--verbose")) {
      RILL_LOG.setLevel(Level.WARNING);
    }
    System.exit(commandLine().execute(args));
  }

  /** A configured command line: error handlers, exit codes, case-insensitive enum values. Tests call {@code execute} on it. */
  public static CommandLine commandLine() {
    CommandLine cli = new CommandLine(new RillCli());
    cli.setCaseInsensitiveEnumValuesAllowed(true);
    cli.setExecutionExceptionHandler(RillCli::handleFailure);
    cli.setParameterExceptionHandler(RillCli::handleUsageError);
    cli.setExecutionStrategy(RillCli::executeReportingOutOfMemory);
    return cli;
  }

  /**
   * Runs the chosen command; an OutOfMemoryError becomes one line with the heap's size and how to raise it.
   * picocli hands only Exceptions to the execution exception handler, so Errors are caught here.
   */
  private static int executeReportingOutOfMemory(ParseResult parseResult) {
    try {
      return new CommandLine.RunLast().execute(parseResult);
    } catch (OutOfMemoryError e) {
      PrintWriter err = parseResult.commandSpec().commandLine().getErr();
      err.println("rill: error: " + outOfMemoryMessage(e, Runtime.getRuntime().maxMemory()));
      if (isVerbose(parseResult)) {
        e.printStackTrace(err);
      }
      err.flush();
      return EXIT_FAILURE;
    }
  }

  /** The one line for an OutOfMemoryError: what ran out, the heap's maximum, how to give the JVM more. */
  static String outOfMemoryMessage(OutOfMemoryError e, long maxHeapBytes) {
    String what = e.getMessage() == null || e.getMessage().isBlank() ? "" : " (" + e.getMessage() + ")";
    return "the JVM ran out of memory" + what + "; the heap maximum is " + (maxHeapBytes >> 20) + " MiB. Give it more "
        + "with JAVA_OPTS, e.g. JAVA_OPTS=-Xmx8g ./rill ...";
  }

  private static int handleUsageError(ParameterException e, String[] args) {
    CommandLine cmd = e.getCommandLine();
    PrintWriter err = cmd.getErr();
    err.println("rill: error: " + e.getMessage() + " (see '" + cmd.getCommandSpec().qualifiedName() + " --help')");
    if (isVerbose(cmd.getParseResult())) {
      e.printStackTrace(err);
    }
    err.flush();
    return EXIT_USAGE;
  }

  private static int handleFailure(Exception e, CommandLine cmd, ParseResult parseResult) {
    if (e instanceof ParameterException pe) {
      return handleUsageError(pe, new String[0]);
    }
    PrintWriter err = cmd.getErr();
    err.println("rill: error: " + describe(e));
    if (isVerbose(parseResult)) {
      e.printStackTrace(err);
    }
    err.flush();
    return EXIT_FAILURE;
  }

  /** One line that says what went wrong, for any exception. */
  static String describe(Throwable e) {
    if (e instanceof NoSuchFileException n) {
      return "no such file: " + n.getFile();
    } else if (e instanceof AccessDeniedException a) {
      return "permission denied: " + a.getFile();
    } else if (e instanceof FileAlreadyExistsException f) {
      return "file already exists: " + f.getFile();
    } else if (e instanceof OutOfMemoryError oom) {
      return outOfMemoryMessage(oom, Runtime.getRuntime().maxMemory());
    }
    String message = e.getMessage();
    if (message == null || message.isBlank()) {
      return e.getClass().getSimpleName() + (e.getCause() != null ? ": " + describe(e.getCause()) : "");
    }
    return message.replace('\n', ' ');
  }

  private static boolean isVerbose(ParseResult parseResult) {
    for (ParseResult p = parseResult; p != null; p = p.subcommand()) {
      if (p.hasMatchedOption("--verbose")) {
        return true;
      }
    }
    return false;
  }
}
