package dev.rill.runtime.testing;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Locates the read-only {@code shared/} folder that sits beside the repository ({@code ../shared}).
 * Tests that need it call {@link #require}, which skips the test with a clear message when it is absent.
 */
public final class SharedFixtures {

  private SharedFixtures() {}

  /** The repository root: the {@code rill.repo.root} property set by Surefire, else the working directory's nearest parent with a pom.xml and a .ci folder. */
  public static Path repoRoot() {
    String prop = System.getProperty("rill.repo.root");
    if (prop != null && !prop.isBlank()) {
      return Path.of(prop).toAbsolutePath().normalize();
    }
    Path dir = Path.of("").toAbsolutePath();
    for (Path p = dir; p != null; p = p.getParent()) {
      if (Files.isDirectory(p.resolve(".ci")) && Files.isRegularFile(p.resolve("pom.xml"))) {
        return p;
      }
    }
    return dir;
  }

  /** {@code <repo>/../shared}, which may not exist. */
  public static Path sharedRoot() {
    return repoRoot().resolve("..").resolve("shared").normalize();
  }

  /**
   * Resolves a path under {@code ../shared}, skipping the calling test if it does not exist; under CI
   * ({@code CI=true}), where the folder is always laid beside the clone, its absence fails the test instead.
   */
  public static Path require(String relative) {
    Path p = sharedRoot().resolve(relative);
    if ("true".equals(System.getenv("CI")) && !Files.exists(p)) {
      throw new AssertionError("shared fixture " + p + " not found, and CI=true: the ../shared folder must be beside the clone");
    }
    assumeTrue(Files.exists(p),
        () -> "skipped: shared fixture " + p + " not found (the read-only ../shared folder beside the repository is absent)");
    return p;
  }
}
