package dev.rill.runtime.internal.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.Test;

/**
 * The provider's choice: forced values, the C2 checks on JVM arguments, and the automatic choice of the
 * vector kernels in a JVM that has the incubator module and C2 (as Surefire's JVM does). The JVM without
 * the module is covered by a forked-JVM test.
 */
class KernelProviderTest {

  @Test
  void scalarCanBeForced() {
    assertSame(ScalarKernels.INSTANCE, KernelProvider.choose("scalar"));
    assertSame(ScalarKernels.INSTANCE, KernelProvider.choose(" Scalar "));
  }

  @Test
  void vectorIsChosenWhenTheModuleAndC2ArePresent() {
    assumeTrue(KernelProvider.moduleProblem() == null, "no jdk.incubator.vector: " + KernelProvider.moduleProblem());
    assumeTrue(KernelProvider.compilerProblem() == null, "no C2: " + KernelProvider.compilerProblem());
    Kernels forced = KernelProvider.choose("vector");
    assertSame(VectorKernels.INSTANCE, forced);
    assertEquals("vector-" + VectorShapes.FLOATS.vectorBitSize(), forced.name());
    assertSame(VectorKernels.INSTANCE, KernelProvider.choose(""));
    assertSame(VectorKernels.INSTANCE, KernelProvider.choose("nonsense"), "an unknown value falls back to automatic");
    if (System.getProperty(KernelProvider.PROPERTY) == null) {
      assertSame(VectorKernels.INSTANCE, KernelProvider.get());
    }
  }

  /** A kernels class that cannot be loaded gives null, and a warning that carries the cause. */
  @Test
  void aLoadFailureIsAWarningWithItsCause() {
    Logger logger = Logger.getLogger("dev.rill.runtime");
    List<LogRecord> records = new CopyOnWriteArrayList<>();
    Handler handler = new Handler() {
      @Override
      public void publish(LogRecord record) {
        records.add(record);
      }

      @Override
      public void flush() {}

      @Override
      public void close() {}
    };
    logger.addHandler(handler);
    try {
      assertNull(KernelProvider.loadKernels("dev.rill.runtime.internal.kernel.NoSuchKernels"));
      assertNull(KernelProvider.loadKernels("java.lang.String"), "a class without INSTANCE");
    } finally {
      logger.removeHandler(handler);
    }
    assertEquals(2, records.size(), "one warning per failure");
    for (LogRecord record : records) {
      assertEquals(java.util.logging.Level.WARNING, record.getLevel());
      assertNotNull(record.getThrown(), "the cause is logged: " + record.getMessage());
    }
    assertInstanceOf(ClassNotFoundException.class, records.get(0).getThrown());
    assertInstanceOf(NoSuchFieldException.class, records.get(1).getThrown());
  }

  @Test
  void compilerArgumentsThatDisableC2() {
    assertNull(KernelProvider.compilerProblem(List.of()));
    assertNull(KernelProvider.compilerProblem(List.of("-Xss4m", "--add-modules", "jdk.incubator.vector")));
    assertNull(KernelProvider.compilerProblem(List.of("-XX:TieredStopAtLevel=4")));
    assertNull(KernelProvider.compilerProblem(List.of("-XX:-TieredCompilation")));
    assertNotNull(KernelProvider.compilerProblem(List.of("-XX:TieredStopAtLevel=1")));
    assertNotNull(KernelProvider.compilerProblem(List.of("-XX:TieredStopAtLevel=3")));
    assertNotNull(KernelProvider.compilerProblem(List.of("-Xint")));
    assertNotNull(KernelProvider.compilerProblem(List.of("-XX:-UseCompiler")));
    // The last occurrence wins, as in HotSpot.
    assertNull(KernelProvider.compilerProblem(List.of("-XX:TieredStopAtLevel=1", "-XX:TieredStopAtLevel=4")));
    assertTrue(KernelProvider.compilerProblem(List.of("-XX:TieredStopAtLevel=1")).contains("TieredStopAtLevel=1"));
  }
}
