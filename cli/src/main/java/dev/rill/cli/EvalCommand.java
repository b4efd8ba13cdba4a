package dev.rill.cli;

import dev.rill.runtime.Model;
import dev.rill.runtime.SequenceBatch;
import dev.rill.runtime.SequenceResult;
import dev.rill.runtime.State;
import dev.rill.trainer.data.CharCorpus;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code rill eval}: the bits per character of a text under a character language model. */
@Command(name = "eval", mixinStandardHelpOptions = true,
    description = {"Prints the bits per character of a text under a character language model: -log2 p(next character), averaged "
        + "over every prediction (T - 1 of them for a text of T characters), from a zero state through the whole text.", "",
        "With --held-out F, only the last fraction F of the text's characters is evaluated (from a zero state at its start):",
        "the part that 'rill train' held out for validation when given the whole text (F = 0.05).", "",
        "Examples:",
        "  rill eval moby.rill --text chapter1.txt",
        "  rill eval examples/moby_dick_lstm.rill --text ../shared/corpus/moby_dick.txt --held-out 0.05"})
final class EvalCommand implements Callable<Integer> {
  /** Steps per Model.run call: the state carries from one chunk to the next, so the chunks only bound the memory. */
  static final int CHUNK = 4096;

  @Spec
  CommandSpec spec;

  @Parameters(index = "0", paramLabel = "MODEL", description = "The .rill character model.")
  Path modelFile;

  @Option(names = "--text", required = true, paramLabel = "FILE", description = "The text (UTF-8), every character in the model's vocabulary.")
  Path textFile;

  @Option(names = "--held-out", paramLabel = "F", description = "Evaluate only the last fraction F of the text, in (0, 1).")
  Double heldOut;

  @Override
  public Integer call() throws Exception {
    if (heldOut != null && !(heldOut > 0 && heldOut < 1)) {
      throw new ParameterException(spec.commandLine(), "--held-out must be in (0, 1), got " + heldOut);
    }
    try (Model model = Model.load(modelFile)) {
      List<String> vocabulary = CharacterModels.vocabularyOf(model, modelFile);
      CharCorpus text = CharCorpus.of(vocabulary, CharacterModels.readText(textFile), textFile.toString());
      // The same split as the trainer's: the held-out part starts at round(n · (1 - F)).
      int[] ids = heldOut == null ? text.ids() : text.ids((int) Math.round(text.length() * (1 - heldOut)), text.length());
      if (ids.length < 2) {
        throw new IllegalArgumentException(textFile + ": " + ids.length + " character" + (ids.length == 1 ? "" : "s")
            + "; at least two are needed for one prediction");
      }
      double bits = bitsPerCharacter(model, ids);
      spec.commandLine().getOut().printf("%.6f bits/char over %,d predictions (%s on %s)%n", bits, ids.length - 1, modelFile, textFile);
    }
    return 0;
  }

  /**
   * The mean of -log2 p(ids[t + 1]) over t, the model run from a zero state over the whole text.
   *
   * @param model a character model with probabilities as outputs
   * @param ids the text, at least two characters
   * @return bits per character
   */
  static double bitsPerCharacter(Model model, int[] ids) {
    int v = model.outputSize();
    double sum = 0;
    State state = null;
    // The last character is only ever a target, never an input.
    for (int from = 0; from < ids.length - 1; from += CHUNK) {
      int to = Math.min(ids.length - 1, from + CHUNK);
      SequenceBatch batch = SequenceBatch.ofTokens(Arrays.copyOfRange(ids, from, to), to - from, 1);
      SequenceResult result = model.run(state == null ? batch : batch.withInitialState(state));
      float[] p = result.output();
      for (int t = from; t < to; t++) {
        sum -= Math.log(p[(t - from) * v + ids[t + 1]]);
      }
      state = result.finalState();
    }
    return sum / Math.log(2) / (ids.length - 1);
  }
}
