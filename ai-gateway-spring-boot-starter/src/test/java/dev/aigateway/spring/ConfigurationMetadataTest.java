package dev.aigateway.spring;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The IDE metadata the configuration processor generates ({@code
 * META-INF/spring-configuration-metadata.json}) names every key a user writes, the security groups
 * ({@code ai-gateway.access.*}, {@code ai-gateway.jwt.*}) included, with its description.
 */
class ConfigurationMetadataTest {

  @Test
  void theSecurityGroupsKeysAreInTheIdeMetadata() throws Exception {
    JsonNode metadata;
    try (InputStream in =
        AiGatewayProperties.class
            .getClassLoader()
            .getResourceAsStream("META-INF/spring-configuration-metadata.json")) {
      assertThat(in).isNotNull();
      metadata = new ObjectMapper().readTree(in);
    }
    List<String> properties = new ArrayList<>();
    for (JsonNode property : metadata.path("properties")) {
      properties.add(property.path("name").asText());
      if (property.path("name").asText().startsWith("ai-gateway.access.")) {
        assertThat(property.path("description").asText()).as(property.toString()).isNotEmpty();
      }
    }
    List<String> groups = new ArrayList<>();
    metadata.path("groups").forEach(group -> groups.add(group.path("name").asText()));

    assertThat(groups).contains("ai-gateway.access", "ai-gateway.jwt");
    assertThat(properties)
        .contains(
            "ai-gateway.access.default-decision",
            "ai-gateway.access.role-header",
            "ai-gateway.access.rules",
            "ai-gateway.jwt.jwks-url",
            "ai-gateway.jwt.issuer",
            "ai-gateway.jwt.audiences",
            "ai-gateway.jwt.role-claims")
        // a group is not a value to set
        .doesNotContain("ai-gateway.access", "ai-gateway.jwt");
  }

  @Test
  void everyKeyInTheIdeMetadataHasADescription() throws Exception {
    JsonNode metadata;
    try (InputStream in =
        AiGatewayProperties.class
            .getClassLoader()
            .getResourceAsStream("META-INF/spring-configuration-metadata.json")) {
      assertThat(in).isNotNull();
      metadata = new ObjectMapper().readTree(in);
    }
    List<String> undescribed = new ArrayList<>();
    for (JsonNode property : metadata.path("properties")) {
      String name = property.path("name").asText();
      if (name.startsWith(AiGatewayProperties.PREFIX + ".")
          && property.path("description").asText().isBlank()) {
        undescribed.add(name);
      }
    }

    assertThat(undescribed).as("keys an IDE would show without a description").isEmpty();
  }
}
