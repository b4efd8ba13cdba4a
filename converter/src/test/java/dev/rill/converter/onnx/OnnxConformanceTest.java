package dev.rill.converter.onnx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rill.runtime.testing.SharedFixtures;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** Every official ONNX backend node test for LSTM/GRU/RNN in ../shared/fixtures/onnx-node passes. */
class OnnxConformanceTest {

  @Test
  void everyOfficialCasePasses() throws IOException {
    Path root = SharedFixtures.require("fixtures/onnx-node");
    List<Path> cases;
    try (Stream<Path> s = Files.list(root)) {
      cases = s.filter(p -> Files.isRegularFile(p.resolve("model.onnx"))).sorted().toList();
    }
    assertEquals(12, cases.size(), "the fixture folder holds 12 cases");
    for (OnnxConformance.CaseResult r : OnnxConformance.runAll(cases)) {
      System.out.println(r.line());
      assertTrue(r.passed(), r.line());
      assertFalse(r.outputs().isEmpty(), r.line());
      assertTrue(r.maxAbsError() <= 1e-6, r.line());
    }
  }
}
