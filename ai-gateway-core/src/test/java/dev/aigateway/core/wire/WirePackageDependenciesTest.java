package dev.aigateway.core.wire;

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
 * {@code core.wire} is read by the gateway's pipeline, stages and adapter protocol and reads none
 * of them: of the gateway's own packages its compiled classes name only their own and {@code
 * core.tokens} (docs/design.md, "Package dependencies").
 */
class WirePackageDependenciesTest {

  /** A class of one of the core's packages, as the class file names it. */
  private static final Pattern CORE_CLASS =
      Pattern.compile("dev/aigateway/core/((?:[a-z0-9_]+/)*)[A-Z][A-Za-z0-9_$]*");

  private static final Set<String> ALLOWED =
      Set.of("dev.aigateway.core.wire", "dev.aigateway.core.tokens");

  @Test
  void theWirePackageDependsOnNoOtherCorePackageButTokens() throws Exception {
    Path wire =
        Path.of(WireFormat.class.getProtectionDomain().getCodeSource().getLocation().toURI())
            .resolve("dev/aigateway/core/wire");
    List<Path> classes;
    try (Stream<Path> files = Files.list(wire)) {
      classes = files.filter(f -> f.toString().endsWith(".class")).toList();
    }
    assertThat(classes).as("compiled classes of core.wire").hasSizeGreaterThan(50);

    List<String> offending = new ArrayList<>();
    for (Path file : classes) {
      for (String named : corePackagesNamedBy(file)) {
        if (!ALLOWED.contains(named)) {
          offending.add(file.getFileName() + " -> " + named);
        }
      }
    }
    assertThat(offending).as("core.wire classes naming another core package").isEmpty();
  }

  private static Set<String> corePackagesNamedBy(Path classFile) throws IOException {
    // Class names stand in the constant pool as modified UTF-8, plain ASCII for these names.
    String text = new String(Files.readAllBytes(classFile), StandardCharsets.ISO_8859_1);
    Set<String> packages = new TreeSet<>();
    Matcher m = CORE_CLASS.matcher(text);
    while (m.find()) {
      String sub = m.group(1);
      String pkg =
          "dev.aigateway.core"
              + (sub.isEmpty() ? "" : "." + sub.substring(0, sub.length() - 1).replace('/', '.'));
      packages.add(pkg);
    }
    return packages;
  }
}
