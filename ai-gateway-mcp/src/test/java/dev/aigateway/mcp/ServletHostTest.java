package dev.aigateway.mcp;

import static org.assertj.core.api.Assertions.assertThat;

import jakarta.servlet.http.HttpServlet;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class ServletHostTest {

  private static ServletHost start() {
    return ServletHost.start("127.0.0.1", 0, "/mcp", new HttpServlet() {});
  }

  @Test
  void aClosedHostsWorkingDirectoryStaysDeletedWhenAnotherHostStarts() {
    ServletHost first = start();
    Path firstDir = first.baseDir();
    assertThat(firstDir).isDirectory();
    first.close();
    assertThat(firstDir).doesNotExist();

    ServletHost second = start();
    Path secondDir = second.baseDir();
    second.close();

    assertThat(firstDir).as("the first host's working directory").doesNotExist();
    assertThat(secondDir).as("the second host's working directory").doesNotExist();
  }

  @Test
  void startingLeavesTheJvmsCatalinaPropertiesAsTheyWere() {
    String home = System.getProperty("catalina.home");
    String base = System.getProperty("catalina.base");

    ServletHost host = start();
    try {
      assertThat(System.getProperty("catalina.home")).isEqualTo(home);
      assertThat(System.getProperty("catalina.base")).isEqualTo(base);
    } finally {
      host.close();
    }
  }
}
