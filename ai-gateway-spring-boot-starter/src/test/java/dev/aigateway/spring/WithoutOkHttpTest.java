package dev.aigateway.spring;

import static org.assertj.core.api.Assertions.assertThat;

import dev.aigateway.core.AiGateway;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * An application without OkHttp on its class path (its gateway bean used by its own code, no SDK
 * added yet): OkHttp is optional to the starter, so the application starts with its gateway, and
 * without a warning about a type that is not there. Run in a JVM of its own, on this module's test
 * class path without OkHttp, Okio, MockWebServer and Spring AI: a class left out of a class loader
 * in this JVM would still be found by the classes this JVM loaded.
 */
class WithoutOkHttpTest {

  /** The application, run in the child JVM. */
  @SpringBootConfiguration
  @EnableAutoConfiguration
  static class Application {

    /** Starts the application, prints its gateway's inventory size and closes it. */
    public static void main(String[] args) {
      SpringApplication app = new SpringApplication(Application.class);
      app.setWebApplicationType(WebApplicationType.NONE);
      try (ConfigurableApplicationContext context =
          app.run("--ai-gateway.limits[0].tokens-per-minute=1000")) {
        AiGateway gateway = context.getBean(AiGateway.class);
        System.out.println("started, limits: " + gateway.inventory().toJson().contains("1000"));
      }
    }
  }

  @Test
  void anApplicationWithoutOkHttpStartsItsGatewayWithoutAWarning() throws Exception {
    String testClassPath = System.getProperty("surefire.test.class.path");
    if (testClassPath == null) {
      testClassPath = System.getProperty("java.class.path");
    }
    List<String> left =
        List.of(
            "okhttp3",
            "com/squareup/okhttp",
            "/okio",
            "mockwebserver",
            "spring-ai",
            "openai",
            "anthropic");
    String classPath =
        Arrays.stream(testClassPath.split(File.pathSeparator))
            .filter(entry -> left.stream().noneMatch(entry.replace('\\', '/')::contains))
            .collect(Collectors.joining(File.pathSeparator));
    assertThat(classPath).doesNotContain("com/squareup/okhttp3/okhttp/");
    Process child =
        new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp",
                classPath,
                Application.class.getName())
            .redirectErrorStream(true)
            .start();
    byte[] out = child.getInputStream().readAllBytes();
    assertThat(child.waitFor(2, TimeUnit.MINUTES)).isTrue();
    String output = new String(out, StandardCharsets.UTF_8);
    assertThat(child.exitValue()).as(output).isZero();
    assertThat(output)
        .contains("started, limits: true")
        .doesNotContain("not present")
        .doesNotContain("Failed to introspect");
  }
}
