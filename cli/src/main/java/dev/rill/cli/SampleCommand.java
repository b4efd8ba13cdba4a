package dev.rill.cli;

import dev.rill.runtime.Model;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code rill sample}: generates text from a character language model on the runtime's streaming session. */
@Command(name = "sample", mixinStandardHelpOptions = true,
    description = {"Generates text from a character language model (a token model with a vocabulary, such as rill train charlm "
        + "writes), one character at a time through a StreamingSession, printing each as soon as it is picked.",
        "Then prints the median and p99 time of a step on standard error.", "",
        "Examples:",
        "  rill sample moby.rill --prime 'Call me ' -n 300",
        "  rill sample moby.rill --temperature 0     (greedy: always the most probable character)"})
final class SampleCommand implements Callable<Integer> {

  @Spec
  CommandSpec spec;

  @Parameters(index = "0", paramLabel = "MODEL", description = "The .rill character model.")
  Path modelFile;

  @Option(names = "--prime", paramLabel = "TEXT",
      description = "Text to start from, printed before the generated text. Default: a newline if the vocabulary has one "
          + "(not printed), else its first character.")
  String prime;

  @Option(names = "--temperature", paramLabel = "T", defaultValue = "1.0",
      description = "0 for greedy; below 1 more conservative, above 1 more random. Default: ${DEFAULT-VALUE}.")
  double temperature;

  @Option(names = "-n", paramLabel = "N", defaultValue = "500", description = "Characters to generate. Default: ${DEFAULT-VALUE}.")
  int n;

  @Option(names = "--seed", paramLabel = "S", defaultValue = "1", description = "Seed of the draws. Default: ${DEFAULT-VALUE}.")
  long seed;

  @Override
  public Integer call() throws Exception {
    checkSamplingOptions(spec, temperature, n);
    try (Model model = Model.load(modelFile)) {
      String start = prime != null ? prime : CharacterModels.defaultPrime(CharacterModels.vocabularyOf(model, modelFile));
      CharacterModels.sample(model, modelFile, start, prime != null, temperature, n, seed, spec.commandLine().getOut(),
          spec.commandLine().getErr());
    }
    return 0;
  }

  /** Checks the options that sample and demo share, as usage errors. */
  static void checkSamplingOptions(CommandSpec spec, double temperature, int n) {
    if (!(temperature >= 0) || Double.isInfinite(temperature)) {
      throw new ParameterException(spec.commandLine(), "--temperature must be finite and >= 0, got " + temperature);
    }
    if (n < 0) {
      throw new ParameterException(spec.commandLine(), "-n must be >= 0, got " + n);
    }
  }
}
