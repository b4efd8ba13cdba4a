package dev.rill.cli;

import dev.rill.runtime.Model;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code rill demo}: text from the bundled character model, {@code examples/moby_dick_lstm.rill}. */
@Command(name = "demo", mixinStandardHelpOptions = true,
    description = {"Generates text from the bundled character language model, examples/moby_dick_lstm.rill (an LSTM trained on "
        + "Moby-Dick by rill train charlm), starting from \"The \". Like rill sample, it prints each character as it comes and "
        + "then the step latency on standard error.", "",
        "Examples:",
        "  rill demo",
        "  rill demo -n 1000 --temperature 0.5 --seed 7"})
final class DemoCommand implements Callable<Integer> {
  /** The bundled model, relative to the repository. */
  static final String BUNDLED_MODEL = "examples/moby_dick_lstm.rill";
  /** The system property that ./rill sets to the repository. */
  static final String HOME_PROPERTY = "rill.home";
  /** The text every demo starts from. */
  static final String PRIME = "The ";

  @Spec
  CommandSpec spec;

  @Option(names = "-n", paramLabel = "N", defaultValue = "400", description = "Characters to generate. Default: ${DEFAULT-VALUE}.")
  int n;

  @Option(names = "--seed", paramLabel = "S", defaultValue = "1", description = "Seed of the draws. Default: ${DEFAULT-VALUE}.")
  long seed;

  @Option(names = "--temperature", paramLabel = "T", defaultValue = "0.7",
      description = "0 for greedy; below 1 more conservative, above 1 more random. Default: ${DEFAULT-VALUE}.")
  double temperature;

  // Another model instead of the bundled one: for tests, so hidden from the help.
  @Option(names = "--model", hidden = true, paramLabel = "MODEL")
  Path modelFile;

  @Override
  public Integer call() throws Exception {
    SampleCommand.checkSamplingOptions(spec, temperature, n);
    Path file = modelFile != null ? modelFile : bundledModel();
    try (Model model = Model.load(file)) {
      CharacterModels.sample(model, file, PRIME, true, temperature, n, seed, spec.commandLine().getOut(), spec.commandLine().getErr());
    }
    return 0;
  }

  private static Path bundledModel() {
    String home = System.getProperty(HOME_PROPERTY);
    if (home == null || home.isBlank()) {
      throw new IllegalStateException("cannot find the bundled model: -D" + HOME_PROPERTY + "=REPOSITORY is not set (./rill sets it; "
          + "run rill demo through ./rill)");
    }
    Path file = Path.of(home).resolve(BUNDLED_MODEL);
    if (!Files.isRegularFile(file)) {
      throw new IllegalStateException("the bundled model " + BUNDLED_MODEL + " is missing from " + home
          + "; train one with: ./rill train charlm --text moby_dick.txt -o " + BUNDLED_MODEL);
    }
    return file;
  }
}
