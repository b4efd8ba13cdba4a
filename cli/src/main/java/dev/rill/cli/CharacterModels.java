package dev.rill.cli;

import dev.rill.runtime.Model;
import dev.rill.runtime.StreamingSession;
import dev.rill.trainer.TextSampler;
import dev.rill.trainer.data.CharCorpus;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/** What {@code rill sample}, {@code rill eval} and {@code rill demo} share: checking a character model, sampling from it. */
final class CharacterModels {
  /** Steps run before sampling so that the step is compiled when it is timed (milliseconds for small models). */
  static final int WARM_UP_STEPS = 2_000;

  private CharacterModels() {}

  /**
   * Checks that a model can be used as a character model: token input, a vocabulary, one output per character.
   *
   * @param model the model
   * @param file its file, for messages
   * @return its vocabulary
   * @throws IllegalArgumentException if it cannot
   */
  static List<String> vocabularyOf(Model model, Path file) {
    if (!model.isTokenModel()) {
      throw new IllegalArgumentException(file + " is not a token model (it takes vectors of " + model.inputSize()
          + " floats); a character model takes character ids");
    }
    List<String> vocabulary = model.vocabulary();
    if (vocabulary.isEmpty()) {
      throw new IllegalArgumentException(file + " has no vocabulary: it does not say which character each token id stands for");
    }
    if (model.outputSize() != vocabulary.size()) {
      throw new IllegalArgumentException(file + " outputs " + model.outputSize() + " values per step but has " + vocabulary.size()
          + " characters: it does not predict the next character");
    }
    if (!model.isStreamable()) {
      throw new IllegalArgumentException(file + " has a bidirectional or reverse layer: it cannot generate text step by step");
    }
    return vocabulary;
  }

  /**
   * The default prime: a newline when the vocabulary has one (texts start after one), else its first character.
   *
   * @param vocabulary the characters
   * @return the prime
   */
  static String defaultPrime(List<String> vocabulary) {
    return vocabulary.contains("\n") ? "\n" : vocabulary.getFirst();
  }

  /**
   * Generates text on a streaming session, writing and flushing each character as it comes, and then the step
   * latencies on {@code err}.
   *
   * @param model a character model (see {@link #vocabularyOf})
   * @param file the model's file, for messages
   * @param prime the text to start from; its characters must be in the vocabulary
   * @param echoPrime whether to print the prime before the generated text
   * @param temperature 0 for greedy, otherwise positive
   * @param n characters to generate
   * @param seed the seed of the draws
   * @param out receives the text
   * @param err receives the latency line
   */
  static void sample(Model model, Path file, String prime, boolean echoPrime, double temperature, int n, long seed, PrintWriter out,
      PrintWriter err) {
    List<String> vocabulary = vocabularyOf(model, file);
    if (prime.isEmpty()) {
      throw new IllegalArgumentException("--prime must have at least one character");
    }
    int primeLength = CharCorpus.of(vocabulary, prime, "--prime").length();
    // Every step's time goes into one preallocated array, so timing adds no allocation to the loop.
    long[] nanos = new long[primeLength + Math.max(0, n - 1)];
    int[] steps = {0};
    float[] probabilities = new float[model.outputSize()];
    if (echoPrime) {
      out.print(prime);
      out.flush();
    }
    try (StreamingSession session = model.newSession()) {
      // Leaves the state as it is; without it the latencies would be the JIT's, not the model's.
      session.warmUp(WARM_UP_STEPS);
      TextSampler.Stepper stepper = token -> {
        long start = System.nanoTime();
        session.step(token, probabilities);
        nanos[steps[0]++] = System.nanoTime() - start;
        return probabilities;
      };
      TextSampler.sample(stepper, vocabulary, prime, temperature, n, seed, c -> {
        out.print(c);
        out.flush();
      });
    }
    out.println();
    out.flush();
    long[] measured = Arrays.copyOf(nanos, steps[0]);
    Arrays.sort(measured);
    if (measured.length > 0) {
      err.printf("%,d steps (after %,d warm-up steps): median %.1f µs, p99 %.1f µs per step%n", measured.length, WARM_UP_STEPS, measured[(measured.length - 1) / 2] / 1e3,
          measured[(int) Math.ceil(0.99 * measured.length) - 1] / 1e3);
      err.flush();
    }
  }

  /**
   * Reads a UTF-8 text file.
   *
   * @param file the file
   * @return its text
   * @throws IOException if it cannot be read
   * @throws IllegalArgumentException if it is not UTF-8 text
   */
  static String readText(Path file) throws IOException {
    byte[] bytes = Files.readAllBytes(file);
    try {
      String text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
      if (text.indexOf('\0') >= 0) {
        throw new IllegalArgumentException(file + ": contains NUL characters (a binary file?)");
      }
      return text;
    } catch (CharacterCodingException e) {
      throw new IllegalArgumentException(file + ": not UTF-8 text (a binary file?)");
    }
  }
}
