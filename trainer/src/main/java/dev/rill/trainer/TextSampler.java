package dev.rill.trainer;

import dev.rill.trainer.nn.Network;
import dev.rill.trainer.tensor.Matrix;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Consumer;

/**
 * Generates text from a character language model one character at a time: feed the prime, then repeatedly pick
 * the next character from the model's probabilities and feed it back. The model is anything that steps: the
 * runtime's streaming session or the trainer's own forward pass; with the same seed both give the same text.
 */
public final class TextSampler {
  private TextSampler() {}

  /** One step of a character model. */
  @FunctionalInterface
  public interface Stepper {
    /**
     * @param token the character id fed at this step
     * @return the probabilities of the next character (not kept by the caller past the next call)
     */
    float[] step(int token);
  }

  /**
   * Picks a character: greedy (the most probable, the lowest id among equals) at temperature 0, otherwise a draw
   * from the probabilities raised to 1 / temperature and renormalised.
   *
   * @param probabilities the model's output
   * @param temperature 0 for greedy, otherwise positive
   * @param random the draws
   * @return the id
   */
  public static int pick(float[] probabilities, double temperature, SplittableRandom random) {
    if (!(temperature >= 0) || Double.isInfinite(temperature)) {
      throw new IllegalArgumentException("the temperature must be finite and >= 0, got " + temperature);
    }
    if (temperature == 0) {
      int best = 0;
      for (int j = 1; j < probabilities.length; j++) {
        if (probabilities[j] > probabilities[best]) {
          best = j;
        }
      }
      return best;
    }
    double[] weights = new double[probabilities.length];
    double total = 0;
    for (int j = 0; j < weights.length; j++) {
      weights[j] = probabilities[j] > 0 ? Math.exp(Math.log(probabilities[j]) / temperature) : 0;
      total += weights[j];
    }
    double u = random.nextDouble() * total;
    for (int j = 0; j < weights.length; j++) {
      u -= weights[j];
      if (u < 0) {
        return j;
      }
    }
    for (int j = weights.length - 1; j >= 0; j--) {
      if (weights[j] > 0) {
        return j;
      }
    }
    return 0;
  }

  /**
   * Feeds the prime and generates {@code n} characters, handing each to {@code out} as soon as it is picked.
   *
   * @param model the model
   * @param vocabulary the model's characters
   * @param prime the text to start from (at least one character, each in the vocabulary)
   * @param temperature 0 for greedy, otherwise positive
   * @param n how many characters to generate
   * @param seed the seed of the draws
   * @param out receives each character
   */
  public static void sample(Stepper model, List<String> vocabulary, String prime, double temperature, int n, long seed,
      Consumer<String> out) {
    if (prime.isEmpty()) {
      throw new IllegalArgumentException("the prime must have at least one character");
    }
    if (n < 0) {
      throw new IllegalArgumentException("n must be >= 0, got " + n);
    }
    int[] ids = dev.rill.trainer.data.CharCorpus.of(vocabulary, prime, "the prime").ids();
    SplittableRandom random = new SplittableRandom(seed);
    float[] probabilities = null;
    for (int id : ids) {
      probabilities = model.step(id);
    }
    for (int i = 0; i < n; i++) {
      int next = pick(probabilities, temperature, random);
      out.accept(vocabulary.get(next));
      if (i + 1 < n) {
        probabilities = model.step(next);
      }
    }
  }

  /**
   * The trainer's forward pass as a stepper: one stream, one step per call, softmax of the head in float.
   *
   * @param network a language model (token input, softmax cross-entropy head)
   * @return the stepper; it sets the network's carried state to zero first, and then runs windows of one stream, so
   *     do not use it while the network trains
   */
  public static Stepper of(Network network) {
    network.resetState();
    int[] token = new int[1];
    float[] probabilities = new float[network.spec().outputs()];
    return id -> {
      token[0] = id;
      network.forward(token, 1, 1, null, null);
      Matrix z = network.logits();
      double max = Double.NEGATIVE_INFINITY;
      for (int j = 0; j < probabilities.length; j++) {
        max = Math.max(max, z.get(0, j));
      }
      double sum = 0;
      for (int j = 0; j < probabilities.length; j++) {
        sum += Math.exp(z.get(0, j) - max);
      }
      for (int j = 0; j < probabilities.length; j++) {
        probabilities[j] = (float) (Math.exp(z.get(0, j) - max) / sum);
      }
      return probabilities;
    };
  }
}
