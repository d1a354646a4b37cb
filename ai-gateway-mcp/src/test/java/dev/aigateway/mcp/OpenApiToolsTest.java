package dev.aigateway.mcp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.aigateway.core.AiGateway;
import dev.aigateway.okhttp.OkHttpAiGateway;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import mockwebserver3.RecordedRequest;
import okhttp3.OkHttpClient;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link OpenApiTools} against the local REST server {@code pets.yaml} describes. */
class OpenApiToolsTest {

  private static final ObjectMapper JSON = new ObjectMapper();

  private final PetsApi api;
  private final OkHttpClient governed =
      OkHttpAiGateway.wrap(new OkHttpClient(), AiGateway.builder().build());

  OpenApiToolsTest() throws Exception {
    api = new PetsApi();
  }

  @AfterEach
  void stop() {
    api.close();
  }

  private OpenApiTools tools() {
    return OpenApiTools.builder(governed)
        .document(PetsApi.document())
        .baseUrl(api.baseUrl())
        .header("Authorization", "Bearer pets-test-token")
        .build();
  }

  private static JsonNode json(String text) throws Exception {
    return JSON.readTree(text);
  }

  private RecordedRequest onlyRequest() {
    assertThat(api.requests).hasSize(1);
    return api.requests.get(0);
  }

  @Test
  void eachOperationIsAToolNamedByItsIdOrMethodAndPath() {
    assertThat(tools().tools())
        .extracting(ApiTool::name, ApiTool::method, ApiTool::path)
        .containsExactlyInAnyOrder(
            org.assertj.core.groups.Tuple.tuple("getPet", "GET", "/pets/{petId}"),
            org.assertj.core.groups.Tuple.tuple("delete_pets_petId", "DELETE", "/pets/{petId}"),
            org.assertj.core.groups.Tuple.tuple("list_pets", "GET", "/pets"),
            org.assertj.core.groups.Tuple.tuple("createPet", "POST", "/pets"));
    ApiTool getPet =
        tools().tools().stream().filter(t -> t.name().equals("getPet")).findFirst().orElseThrow();
    assertThat(getPet.description()).isEqualTo("Get a pet\n\nAnswers one pet by its id.");
  }

  @Test
  void theInputSchemaHoldsTheParametersAndTheBodyWithReferencesInlined() throws Exception {
    JsonNode getPet = json(tool("getPet").inputSchema());
    assertThat(getPet.path("type").asText()).isEqualTo("object");
    assertThat(getPet.path("properties").path("petId").path("type").asText()).isEqualTo("string");
    assertThat(getPet.path("properties").path("petId").path("description").asText())
        .isEqualTo("The pet's id");
    assertThat(getPet.path("properties").path("fields").path("items").path("type").asText())
        .isEqualTo("string");
    assertThat(getPet.path("properties").has("X-Trace-Id")).isTrue();
    assertThat(getPet.path("required")).extracting(JsonNode::asText).containsExactly("petId");

    JsonNode list = json(tool("list_pets").inputSchema());
    assertThat(list.path("properties").path("limit").path("minimum").asInt()).isEqualTo(1);
    assertThat(list.path("properties").has("tags")).isTrue();
    assertThat(list.has("required")).isFalse();

    JsonNode create = json(tool("createPet").inputSchema());
    JsonNode body = create.path("properties").path("body");
    assertThat(body.path("description").asText()).isEqualTo("The new pet");
    assertThat(body.path("required")).extracting(JsonNode::asText).containsExactly("name");
    assertThat(body.path("properties").path("tag").path("type"))
        .extracting(JsonNode::asText)
        .containsExactly("string", "null");
    JsonNode owner = body.path("properties").path("owner");
    assertThat(owner.path("properties").path("name").path("type").asText()).isEqualTo("string");
    // Pet -> Owner -> Pet: the recursion stops at the second Pet, as an open object.
    assertThat(owner.path("properties").path("pets").path("items").path("description").asText())
        .isEqualTo("a Pet (recursive)");
    assertThat(create.path("required")).extracting(JsonNode::asText).containsExactly("body");
    assertThat(create.toString()).doesNotContain("$ref", "nullable");
  }

  private ApiTool tool(String name) {
    return tools().tools().stream().filter(t -> t.name().equals(name)).findFirst().orElseThrow();
  }

  @Test
  void aGetSubstitutesAndEncodesThePathAndSendsQueryAndHeaderParameters() throws Exception {
    ToolResult result =
        tools()
            .call(
                "getPet",
                "{\"petId\":\"a b/c?\",\"fields\":[\"name\",\"tag\"],\"X-Trace-Id\":\"t-1\"}");

    assertThat(result.status()).isEqualTo(404);
    assertThat(result.isError()).isTrue();
    assertThat(result.text()).contains("HTTP 404", "no such pet");
    RecordedRequest request = onlyRequest();
    assertThat(request.getMethod()).isEqualTo("GET");
    assertThat(request.getUrl().encodedPath()).isEqualTo("/api/pets/a%20b%2Fc%3F");
    assertThat(request.getUrl().queryParameterValues("fields")).containsExactly("name", "tag");
    assertThat(request.getHeaders().get("X-Trace-Id")).isEqualTo("t-1");
    assertThat(request.getHeaders().get("Authorization")).isEqualTo("Bearer pets-test-token");
  }

  @Test
  void aSuccessfulCallAnswersTheBodyAsText() throws Exception {
    ToolResult result = tools().call("getPet", "{\"petId\":\"7\"}");

    assertThat(result.status()).isEqualTo(200);
    assertThat(result.isError()).isFalse();
    assertThat(result.contentType()).startsWith("application/json");
    assertThat(json(result.text())).isEqualTo(json("{\"id\":\"7\",\"name\":\"Rex\"}"));
  }

  @Test
  void anUnexplodedArrayIsCommaJoinedAndANumberWrittenAsJsonHasIt() throws Exception {
    tools().call("list_pets", "{\"limit\":5,\"tags\":[\"dog\",\"cat\"]}");

    assertThat(onlyRequest().getUrl().query()).isEqualTo("limit=5&tags=dog,cat");
  }

  @Test
  void aPostSendsTheBodyArgumentAsJson() throws Exception {
    ToolResult result =
        tools()
            .call(
                "createPet",
                "{\"body\":{\"name\":\"Tom\",\"tag\":null,\"owner\":{\"name\":\"Ann\"}}}");

    assertThat(result.status()).isEqualTo(201);
    RecordedRequest request = onlyRequest();
    assertThat(request.getMethod()).isEqualTo("POST");
    assertThat(request.getHeaders().get("Content-Type")).startsWith("application/json");
    assertThat(json(request.getBody().utf8()))
        .isEqualTo(json("{\"name\":\"Tom\",\"tag\":null,\"owner\":{\"name\":\"Ann\"}}"));
  }

  @Test
  void missingOrUnusableArgumentsAreAToolErrorWithoutARequest() throws Exception {
    ToolResult missing = tools().call("createPet", "{}");
    ToolResult notJson = tools().call("getPet", "{petId");
    ToolResult objectInPath = tools().call("getPet", "{\"petId\":{\"id\":1}}");

    assertThat(missing.isError()).isTrue();
    assertThat(missing.text()).contains("missing required argument body");
    assertThat(notJson.text()).contains("not JSON");
    assertThat(objectInPath.text()).contains("petId", "OBJECT");
    assertThat(api.requests).isEmpty();
    assertThatThrownBy(() -> tools().call("nope", "{}")).hasMessageContaining("no tool named nope");
  }

  @Test
  void aPathArgumentThatWouldLeaveItsSegmentIsAToolErrorWithoutARequest() throws Exception {
    // "..", "." and "" would each move the request elsewhere: DELETE /api/pets/.. is DELETE /api/
    // (the credential sent to an endpoint outside the operation), DELETE /api/pets/ the collection
    ToolResult up = tools().call("delete_pets_petId", "{\"petId\":\"..\"}");
    ToolResult here = tools().call("delete_pets_petId", "{\"petId\":\".\"}");
    ToolResult empty = tools().call("delete_pets_petId", "{\"petId\":\"\"}");

    assertThat(List.of(up, here, empty))
        .allSatisfy(
            result -> {
              assertThat(result.isError()).isTrue();
              assertThat(result.status()).isZero();
              assertThat(result.text()).contains("petId");
            });
    assertThat(api.requests).extracting(r -> r.getUrl().encodedPath()).isEmpty();
  }

  @Test
  void theCredentialSupplierIsAskedForEveryCall() throws Exception {
    AtomicInteger n = new AtomicInteger();
    OpenApiTools tools =
        OpenApiTools.builder(governed)
            .document(PetsApi.document())
            .baseUrl(api.baseUrl())
            .headers(() -> java.util.Map.of("X-Api-Key", "key-" + n.incrementAndGet()))
            .build();

    tools.call("getPet", "{\"petId\":\"7\"}");
    tools.call("getPet", "{\"petId\":\"7\"}");

    assertThat(api.requests)
        .extracting(r -> r.getHeaders().get("X-Api-Key"))
        .containsExactly("key-1", "key-2");
  }

  @Test
  void theCredentialGoesToTheApisOriginOnlyNotWithARedirectElsewhere() throws Exception {
    // OkHttp follows redirects and takes only Authorization off one to another host: an API key
    // in another header would reach whatever host the API (or a path it was led to) redirects to.
    try (mockwebserver3.MockWebServer moved = new mockwebserver3.MockWebServer();
        mockwebserver3.MockWebServer elsewhere = new mockwebserver3.MockWebServer()) {
      moved.start();
      elsewhere.start();
      moved.enqueue(
          new mockwebserver3.MockResponse.Builder()
              .code(302)
              .addHeader("Location", moved.url("/pets/v2/7"))
              .build());
      moved.enqueue(
          new mockwebserver3.MockResponse.Builder()
              .code(302)
              .addHeader("Location", elsewhere.url("/landing"))
              .build());
      elsewhere.enqueue(new mockwebserver3.MockResponse.Builder().code(200).body("landed").build());
      OpenApiTools tools =
          OpenApiTools.builder(governed)
              .document(PetsApi.document())
              .baseUrl(moved.url("/").toString())
              .header("X-Api-Key", "s3cr3t-key")
              .headers(() -> java.util.Map.of("X-Session-Token", "s3cr3t-token"))
              .build();

      ToolResult result = tools.call("getPet", "{\"petId\":\"7\"}");

      assertThat(result.text()).isEqualTo("landed");
      for (int i = 0; i < 2; i++) {
        RecordedRequest atTheApi = moved.takeRequest();
        assertThat(atTheApi.getHeaders().get("X-Api-Key")).isEqualTo("s3cr3t-key");
        assertThat(atTheApi.getHeaders().get("X-Session-Token")).isEqualTo("s3cr3t-token");
      }
      RecordedRequest away = elsewhere.takeRequest();
      assertThat(away.getHeaders().get("X-Api-Key")).isNull();
      assertThat(away.getHeaders().get("X-Session-Token")).isNull();
    }
  }

  @Test
  void theOpenAiToolsArrayHasOneFunctionPerOperation() throws Exception {
    JsonNode tools = json(tools().openAiTools());

    assertThat(tools.isArray()).isTrue();
    assertThat(tools).hasSize(4);
    JsonNode first = tools.get(0);
    assertThat(first.path("type").asText()).isEqualTo("function");
    assertThat(first.path("function").path("name").asText()).isEqualTo("getPet");
    assertThat(first.path("function").path("description").asText()).startsWith("Get a pet");
    assertThat(first.path("function").path("parameters"))
        .isEqualTo(json(tool("getPet").inputSchema()));
  }

  @Test
  void executeAnswersTheResultTextAndErrorsInWords() {
    OpenApiTools tools = tools();

    assertThat(tools.execute("getPet", "{\"petId\":\"7\"}")).contains("\"Rex\"");
    assertThat(tools.execute("getPet", "{\"petId\":\"8\"}")).startsWith("HTTP 404");
    assertThat(tools.execute("unknown", "{}")).isEqualTo("error: no tool named unknown");
  }

  @Test
  void aModelsToolCallsAreRunAndAnsweredAsToolMessages() throws Exception {
    String completion =
        """
        {"id":"chatcmpl-1","object":"chat.completion","choices":[{"index":0,"finish_reason":"tool_calls",
         "message":{"role":"assistant","content":null,"tool_calls":[
          {"id":"call_1","type":"function","function":{"name":"getPet","arguments":"{\\"petId\\":\\"7\\"}"}},
          {"id":"call_2","type":"function","function":{"name":"createPet","arguments":"{\\"body\\":{\\"name\\":\\"Tom\\"}}"}},
          {"id":"call_3","type":"function","function":{"name":"getPet","arguments":"{}"}}]}}]}
        """;

    List<ToolMessage> messages = tools().executeToolCalls(completion);

    assertThat(messages)
        .extracting(ToolMessage::toolCallId)
        .containsExactly("call_1", "call_2", "call_3");
    assertThat(messages).extracting(ToolMessage::isError).containsExactly(false, false, true);
    assertThat(json(messages.get(0).toJson()))
        .isEqualTo(
            json(
                "{\"role\":\"tool\",\"tool_call_id\":\"call_1\",\"content\":"
                    + JSON.writeValueAsString("{\"id\":\"7\",\"name\":\"Rex\"}")
                    + "}"));
    assertThat(messages.get(2).content()).contains("missing required argument petId");
    assertThat(api.requests).extracting(RecordedRequest::getMethod).containsExactly("GET", "POST");
    assertThat(tools().executeToolCalls("{\"role\":\"assistant\",\"content\":\"hi\"}")).isEmpty();
  }

  @Test
  void severalThreadsCallToolsAtOnce() throws Exception {
    OpenApiTools tools = tools();
    ExecutorService pool = Executors.newFixedThreadPool(8);
    try {
      List<Future<ToolResult>> results = new ArrayList<>();
      for (int i = 0; i < 40; i++) {
        String petId = i % 2 == 0 ? "7" : "x" + i;
        results.add(pool.submit(() -> tools.call("getPet", "{\"petId\":\"" + petId + "\"}")));
      }
      for (int i = 0; i < 40; i++) {
        assertThat(results.get(i).get().status()).isEqualTo(i % 2 == 0 ? 200 : 404);
      }
      assertThat(api.requests).hasSize(40);
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void theDocumentsServerIsTheDefaultBaseUrl() {
    OpenApiTools tools = OpenApiTools.builder(governed).document(PetsApi.document()).build();
    assertThat(tools.baseUrl()).isEqualTo("http://pets.example.invalid/api");
  }

  @Test
  void aDocumentInAFileResolvesLikeItsText(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("pets.yaml");
    Files.writeString(file, PetsApi.document());
    OpenApiTools tools =
        OpenApiTools.builder(governed).document(file).baseUrl(api.baseUrl()).build();
    assertThat(tools.tools())
        .extracting(ApiTool::inputSchema)
        .containsExactlyElementsOf(tools().tools().stream().map(ApiTool::inputSchema).toList());
  }

  @Test
  void aDocumentAtAUrlIsFetchedThroughTheClient() throws Exception {
    OpenApiTools tools =
        OpenApiTools.builder(governed)
            .documentUrl(api.url("/openapi.yaml"))
            .baseUrl(api.baseUrl())
            .build();

    assertThat(tools.tools()).hasSize(4);
    assertThat(onlyRequest().getUrl().encodedPath()).isEqualTo("/openapi.yaml");
    assertThatThrownBy(() -> OpenApiTools.builder(governed).documentUrl(api.url("/missing.yaml")))
        .isInstanceOf(java.io.IOException.class)
        .hasMessageContaining("HTTP 400");
  }

  @Test
  void aDocumentUrlThatFailsIsNamedWithoutItsCredentials() {
    // a document behind basic auth, or a pre-signed link: the credential is in the URL
    String signed =
        okhttp3.HttpUrl.get(api.url("/missing.yaml"))
            .newBuilder()
            .username("reader")
            .password("doc-SECRET-password")
            .addQueryParameter("signature", "sig-SECRET-value")
            .build()
            .toString();

    assertThatThrownBy(() -> OpenApiTools.builder(governed).documentUrl(signed))
        .isInstanceOf(java.io.IOException.class)
        .hasMessageContaining("HTTP 400")
        .hasMessageContaining("/missing.yaml")
        .hasMessageNotContaining("SECRET");
  }

  @Test
  void aRefusedDocumentOrBaseUrlIsNamedWithoutItsCredentials() {
    // a mistyped scheme: the URL is refused before any request, and the refusal must not quote
    // the credential it carries in its user info or query
    for (String url :
        List.of(
            "htps://reader:doc-SECRET-password@api.example.com/openapi.yaml",
            "ftp://api.example.com/openapi.yaml?signature=sig-SECRET-value")) {
      assertThatThrownBy(() -> OpenApiTools.builder(governed).documentUrl(url))
          .as(url)
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("api.example.com/openapi.yaml")
          .hasMessageNotContaining("SECRET");
      assertThatThrownBy(() -> OpenApiTools.builder(governed).baseUrl(url))
          .as(url)
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("api.example.com/openapi.yaml")
          .hasMessageNotContaining("SECRET");
    }
  }

  @Test
  void aHeaderSupplierThatThrowsFailsTheCallWithAnIoException() {
    OpenApiTools tools =
        OpenApiTools.builder(governed)
            .document(PetsApi.document())
            .baseUrl(api.baseUrl())
            .headers(
                () -> {
                  throw new IllegalStateException("token service down");
                })
            .build();

    assertThatThrownBy(() -> tools.call("getPet", "{\"petId\":\"7\"}"))
        .isInstanceOf(java.io.IOException.class)
        .hasMessageContaining("header supplier");
    assertThat(tools.execute("getPet", "{\"petId\":\"7\"}"))
        .startsWith("error: the request failed: the header supplier");
    assertThat(api.requests).isEmpty();
  }

  @Test
  void aSuppliedHeaderWithoutAValueFailsTheCallWithAnIoException() {
    // A supplier that puts a token it could not get (null) into its map: the call fails as an I/O
    // failure naming the header (a tool error for execute), not with a NullPointerException.
    java.util.Map<String, String> noToken = new java.util.HashMap<>();
    noToken.put("Authorization", null);
    java.util.Map<String, String> noName = new java.util.HashMap<>();
    noName.put(null, "Bearer t");
    for (java.util.Map<String, String> supplied : List.of(noToken, noName)) {
      OpenApiTools tools =
          OpenApiTools.builder(governed)
              .document(PetsApi.document())
              .baseUrl(api.baseUrl())
              .headers(() -> supplied)
              .build();

      assertThatThrownBy(() -> tools.call("getPet", "{\"petId\":\"7\"}"))
          .as(supplied.toString())
          .isInstanceOf(java.io.IOException.class)
          .hasMessageContaining("header");
      assertThat(tools.execute("getPet", "{\"petId\":\"7\"}"))
          .startsWith("error: the request failed");
    }
    assertThat(api.requests).isEmpty();
  }

  @Test
  void aCredentialAHeaderCannotCarryFailsTheCallWithoutQuotingIt() {
    // A token read from a file with its line feed, as a supplied and as a fixed header.
    OpenApiTools supplied =
        OpenApiTools.builder(governed)
            .document(PetsApi.document())
            .baseUrl(api.baseUrl())
            .headers(() -> java.util.Map.of("X-Api-Key", "sk-live-4f9a2c\n"))
            .build();
    OpenApiTools fixed =
        OpenApiTools.builder(governed)
            .document(PetsApi.document())
            .baseUrl(api.baseUrl())
            .header("X-Api-Key", "sk-live-4f9a2c\n")
            .build();

    for (OpenApiTools tools : List.of(supplied, fixed)) {
      Throwable thrown =
          org.assertj.core.api.Assertions.catchThrowable(
              () -> tools.call("getPet", "{\"petId\":\"7\"}"));
      assertThat(thrown).isInstanceOf(java.io.IOException.class);
      for (Throwable t = thrown; t != null; t = t.getCause()) {
        assertThat(String.valueOf(t.getMessage())).doesNotContain("sk-live-4f9a2c");
        assertThat(String.valueOf(t)).doesNotContain("sk-live-4f9a2c");
      }
      assertThat(thrown).hasMessageContaining("X-Api-Key");
      assertThat(tools.execute("getPet", "{\"petId\":\"7\"}"))
          .startsWith("error: the request failed")
          .doesNotContain("sk-live-4f9a2c");
    }
    assertThat(api.requests).isEmpty();
  }

  private static final String UNSUPPORTED =
      """
      openapi: 3.0.3
      info: {title: Mixed, version: "1"}
      paths:
        /session:
          get:
            operationId: whoAmI
            parameters:
              - {name: sid, in: cookie, schema: {type: string}}
        /upload:
          post:
            operationId: upload
            requestBody:
              content:
                multipart/form-data:
                  schema: {type: object}
        /ping:
          get:
            operationId: ping
      """;

  @Test
  void operationsItCannotCallAreRefusedByNameOrLeftOutOnRequest() {
    assertThatThrownBy(() -> OpenApiTools.from(UNSUPPORTED, "http://localhost/", governed))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("GET /session: parameter 'sid' in cookie")
        .hasMessageContaining("POST /upload: request body as multipart/form-data");

    OpenApiTools tools =
        OpenApiTools.builder(governed)
            .document(UNSUPPORTED)
            .baseUrl("http://localhost/")
            .skipUnsupported(true)
            .build();
    assertThat(tools.tools()).extracting(ApiTool::name).containsExactly("ping");
    assertThat(tools.unsupported()).hasSize(2);
  }

  @Test
  void aDocumentThatIsNotOpenApi3IsRefusedWithTheParsersWords() {
    assertThatThrownBy(
            () -> OpenApiTools.from("swagger: \"2.0\"\ninfo: {}\n", "http://h/", governed))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("not an OpenAPI 3 document");
    assertThatThrownBy(() -> OpenApiTools.builder(governed).build())
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("document(..)");
  }
}
