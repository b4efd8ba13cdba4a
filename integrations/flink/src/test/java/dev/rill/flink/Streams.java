package dev.rill.flink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import dev.rill.runtime.Model;
import dev.rill.runtime.StreamingSession;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/** Interleaved sensor streams and their reference outputs: one {@link StreamingSession} per key, run alone. */
final class Streams {

  private Streams() {
  }

  /**
   * {@code perKey} readings of each of {@code keys} sensors, interleaved in a random order that keeps each
   * sensor's readings in sequence.
   */
  static List<Reading> interleaved(int keys, int perKey, int inputSize, long seed) {
    Random random = new Random(seed);
    int[] next = new int[keys];
    List<Integer> remaining = new ArrayList<>();
    for (int k = 0; k < keys; k++) {
      remaining.add(k);
    }
    List<Reading> readings = new ArrayList<>(keys * perKey);
    while (!remaining.isEmpty()) {
      int pick = random.nextInt(remaining.size());
      int k = remaining.get(pick);
      readings.add(reading(k, next[k], inputSize));
      if (++next[k] == perKey) {
        remaining.remove(pick);
      }
    }
    return readings;
  }

  /** Reading {@code seq} of sensor {@code k}: features drawn from a seed of both, so any order gives the same. */
  static Reading reading(int k, long seq, int inputSize) {
    Random random = new Random(k * 1_000_003L + seq);
    float[] features = new float[inputSize];
    for (int i = 0; i < inputSize; i++) {
      features[i] = (float) random.nextGaussian();
    }
    return new Reading(sensor(k), seq, features);
  }

  static String sensor(int k) {
    return String.format("sensor-%03d", k);
  }

  /** Each sensor's outputs from a fresh session of the model, over its readings in the given order. */
  static Map<String, List<float[]>> reference(Path modelPath, Collection<Reading> readings) throws IOException {
    Map<String, List<float[]>> outputs = new LinkedHashMap<>();
    Map<String, StreamingSession> sessions = new HashMap<>();
    try (Model model = Model.load(modelPath)) {
      try {
        for (Reading r : readings) {
          StreamingSession session = sessions.computeIfAbsent(r.sensor(), s -> model.newSession());
          float[] y = new float[model.outputSize()];
          session.step(r.features(), y);
          outputs.computeIfAbsent(r.sensor(), s -> new ArrayList<>()).add(y);
        }
      } finally {
        sessions.values().forEach(StreamingSession::close);
      }
    }
    return outputs;
  }

  /** The outputs grouped by key, each key's in the order they came. */
  static Map<String, List<float[]>> byKey(Collection<RillOutput<String>> outputs) {
    Map<String, List<float[]>> grouped = new LinkedHashMap<>();
    for (RillOutput<String> out : outputs) {
      grouped.computeIfAbsent(out.key(), s -> new ArrayList<>()).add(out.output());
    }
    return grouped;
  }

  /** Every key's outputs equal the reference's, float by float and bit for bit. */
  static void assertBitwiseEqual(Map<String, List<float[]>> expected, Map<String, List<float[]>> actual) {
    assertEquals(expected.keySet(), actual.keySet(), "keys");
    for (Map.Entry<String, List<float[]>> e : expected.entrySet()) {
      List<float[]> want = e.getValue();
      List<float[]> got = actual.get(e.getKey());
      assertEquals(want.size(), got.size(), "outputs of " + e.getKey());
      for (int t = 0; t < want.size(); t++) {
        assertBitwiseEqual(want.get(t), got.get(t), e.getKey() + " step " + t);
      }
    }
  }

  static void assertBitwiseEqual(float[] expected, float[] actual, String what) {
    assertEquals(expected.length, actual.length, what + ": length");
    for (int i = 0; i < expected.length; i++) {
      if (Float.floatToRawIntBits(expected[i]) != Float.floatToRawIntBits(actual[i])) {
        fail(what + ": value " + i + " is " + actual[i] + " (bits " + Integer.toHexString(Float.floatToRawIntBits(
            actual[i])) + "), expected " + expected[i] + " (bits "
            + Integer.toHexString(Float.floatToRawIntBits(expected[i])) + ")");
      }
    }
  }
}
