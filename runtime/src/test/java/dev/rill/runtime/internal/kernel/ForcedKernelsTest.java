package dev.rill.runtime.internal.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import org.junit.jupiter.api.Test;

/**
 * The Surefire execution {@code scalar-kernels} (runtime/pom.xml) reruns the suite with {@code -Drill.kernels=scalar};
 * this checks that the property reached the test JVM and the provider obeyed it, so that run really tests the
 * scalar fallback.
 */
class ForcedKernelsTest {

  @Test
  void forcedScalarPropertyGivesScalarKernels() {
    String forced = System.getProperty(KernelProvider.PROPERTY);
    assumeTrue("scalar".equals(forced), "-D" + KernelProvider.PROPERTY + "=scalar is not set in this run (it is in"
        + " the scalar-kernels execution); the provider's default is checked by ScalarFallbackTest");
    assertEquals("scalar", KernelProvider.get().name());
  }
}
