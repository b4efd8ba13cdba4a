package dev.rill.cli;

import dev.rill.converter.verify.OnnxVerifier;
import dev.rill.converter.verify.OutputComparison;
import dev.rill.converter.verify.VerificationReport;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code rill verify}: runs a Rill model and an ONNX model (with ONNX Runtime) on the same random inputs. */
@Command(name = "verify", mixinStandardHelpOptions = true,
    description = {"Runs a Rill model and an ONNX model (with ONNX Runtime) on the same seeded random inputs and prints the "
        + "largest error of every output they share; exits 1 if any value is out of tolerance.",
        "The ONNX model takes its sequence time-major: float [T, N, X], or token ids [T, N].", "",
        "Example:", "  rill verify model.rill --onnx model.onnx"})
final class VerifyCommand implements Callable<Integer> {

  @Spec
  CommandSpec spec;

  @Parameters(index = "0", paramLabel = "MODEL.rill", description = "The Rill model.")
  Path rillModel;

  @Option(names = "--onnx", required = true, paramLabel = "MODEL.onnx", description = "The ONNX model to compare with.")
  Path onnxModel;

  @Option(names = "--steps", defaultValue = "20", paramLabel = "T", description = "Time steps of the random input (default 20).")
  int steps;

  @Option(names = "--batch", defaultValue = "3", paramLabel = "N", description = "Sequences in the random input (default 3).")
  int batch;

  @Option(names = "--seed", defaultValue = "42", description = "Seed of the random input (default 42).")
  long seed;

  @Option(names = "--rtol", defaultValue = "1e-4", description = "Relative tolerance (default 1e-4).")
  double rtol;

  @Option(names = "--atol", defaultValue = "1e-5", description = "Absolute tolerance (default 1e-5).")
  double atol;

  @Override
  public Integer call() throws Exception {
    OnnxVerifier.Settings settings;
    try {
      settings = new OnnxVerifier.Settings(steps, batch, seed, rtol, atol);
    } catch (IllegalArgumentException e) {
      throw new picocli.CommandLine.ParameterException(spec.commandLine(), e.getMessage());
    }
    VerificationReport report = new OnnxVerifier(settings).verify(rillModel, onnxModel);
    PrintWriter out = spec.commandLine().getOut();
    out.printf("random input: %d steps x %d sequences, seed %d; tolerance rtol %.1e atol %.1e%n",
        report.steps(), report.batch(), report.seed(), report.rtol(), report.atol());
    for (OutputComparison c : report.outputs()) {
      out.printf("  %-12s %,8d values  max abs %.3e  max rel %.3e  %s%n", c.name(), c.elements(), c.maxAbsError(),
          c.maxRelError(), c.passed() ? "ok" : c.mismatches() + " out of tolerance");
    }
    out.printf("%s: largest error %.3e abs, %.3e rel%n", report.passed() ? "PASS" : "FAIL", report.maxAbsError(), report.maxRelError());
    out.flush();
    return report.passed() ? 0 : RillCli.EXIT_FAILURE;
  }
}
