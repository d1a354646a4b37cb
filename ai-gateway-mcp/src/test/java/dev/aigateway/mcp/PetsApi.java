package dev.aigateway.mcp;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import mockwebserver3.Dispatcher;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;

/**
 * The local REST server {@code pets.yaml} describes, on MockWebServer: pet 7 exists, other ids
 * answer 404, a created pet is echoed back with 201, deleting answers 204. Every request is
 * recorded.
 */
final class PetsApi implements AutoCloseable {

  final List<RecordedRequest> requests = new CopyOnWriteArrayList<>();
  private final MockWebServer server = new MockWebServer();

  PetsApi() throws IOException {
    server.setDispatcher(
        new Dispatcher() {
          @Override
          public MockResponse dispatch(RecordedRequest request) {
            requests.add(request);
            return answer(request);
          }
        });
    server.start();
  }

  static String document() {
    try (InputStream in = PetsApi.class.getResourceAsStream("/pets.yaml")) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  String url(String path) {
    return server.url(path).toString();
  }

  String baseUrl() {
    return server.url("/api").toString();
  }

  private static MockResponse answer(RecordedRequest request) {
    String path = request.getUrl().encodedPath();
    String method = request.getMethod();
    if (method.equals("GET") && path.equals("/openapi.yaml")) {
      return new MockResponse.Builder()
          .addHeader("Content-Type", "application/yaml")
          .body(document())
          .build();
    }
    if (method.equals("GET") && path.equals("/api/pets/7")) {
      return json(200, "{\"id\":\"7\",\"name\":\"Rex\"}");
    }
    if (method.equals("GET") && path.equals("/api/pets")) {
      return json(200, "[{\"id\":\"7\",\"name\":\"Rex\"}]");
    }
    if (method.equals("POST") && path.equals("/api/pets")) {
      return json(201, request.getBody().utf8());
    }
    if (method.equals("DELETE") && path.startsWith("/api/pets/")) {
      return new MockResponse.Builder().code(204).build();
    }
    if (path.startsWith("/api/pets/")) {
      return json(404, "{\"error\":\"no such pet\"}");
    }
    return new MockResponse.Builder().code(400).body("unexpected " + method + " " + path).build();
  }

  private static MockResponse json(int code, String body) {
    return new MockResponse.Builder()
        .code(code)
        .addHeader("Content-Type", "application/json")
        .body(body)
        .build();
  }

  @Override
  public void close() {
    server.close();
  }
}
