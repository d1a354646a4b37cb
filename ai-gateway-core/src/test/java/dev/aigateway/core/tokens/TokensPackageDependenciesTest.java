package dev.aigateway.core.tokens;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * {@code core.tokens} is the bottom of the core: the wire formats, the stages and the translators
 * count with it, and its compiled classes name no other package of the core (docs/design.md,
 * "Package dependencies"). A request's prompt is found by the wire formats ({@code
 * core.wire.PromptTokens}, public as {@code core.Prompts}), so that {@code core.tokens} and {@code
 * core.wire} do not depend on each other.
 */
class TokensPackageDependenciesTest {

  /** A class of one of the core's packages, as the class file names it. */
  private static final Pattern CORE_CLASS =
      Pattern.compile("dev/aigateway/core/((?:[a-z0-9_]+/)*)[A-Z][A-Za-z0-9_$]*");

  @Test
  void theTokensPackageDependsOnNoOtherCorePackage() throws Exception {
    Path tokens =
        Path.of(TokenCounter.class.getProtectionDomain().getCodeSource().getLocation().toURI())
            .resolve("dev/aigateway/core/tokens");
    List<Path> classes;
    try (Stream<Path> files = Files.list(tokens)) {
      classes = files.filter(f -> f.toString().endsWith(".class")).toList();
    }
    assertThat(classes)
        .as("compiled classes of core.tokens")
        .extracting(f -> f.getFileName().toString())
        .contains("TokenCounter.class", "TokenEncoding.class", "TokenCounts.class");

    List<String> offending = new ArrayList<>();
    for (Path file : classes) {
      for (String named : corePackagesNamedBy(file)) {
        if (!named.equals("dev.aigateway.core.tokens")) {
          offending.add(file.getFileName() + " -> " + named);
        }
      }
    }
    assertThat(offending).as("core.tokens classes naming another core package").isEmpty();
  }

  private static Set<String> corePackagesNamedBy(Path classFile) throws IOException {
    // Class names stand in the constant pool as modified UTF-8, plain ASCII for these names.
    String text = new String(Files.readAllBytes(classFile), StandardCharsets.ISO_8859_1);
    Set<String> packages = new TreeSet<>();
    Matcher m = CORE_CLASS.matcher(text);
    while (m.find()) {
      String sub = m.group(1);
      packages.add(
          "dev.aigateway.core"
              + (sub.isEmpty() ? "" : "." + sub.substring(0, sub.length() - 1).replace('/', '.')));
    }
    return packages;
  }
}
