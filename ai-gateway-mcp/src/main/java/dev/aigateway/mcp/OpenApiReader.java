package dev.aigateway.mcp;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.swagger.v3.core.util.Json;
import io.swagger.v3.core.util.Json31;
import io.swagger.v3.oas.models.Components;
import io.swagger.v3.oas.models.OpenAPI;
import io.swagger.v3.oas.models.Operation;
import io.swagger.v3.oas.models.PathItem;
import io.swagger.v3.oas.models.SpecVersion;
import io.swagger.v3.oas.models.media.MediaType;
import io.swagger.v3.oas.models.media.Schema;
import io.swagger.v3.oas.models.parameters.Parameter;
import io.swagger.v3.oas.models.parameters.RequestBody;
import io.swagger.v3.parser.OpenAPIV3Parser;
import io.swagger.v3.parser.core.models.ParseOptions;
import io.swagger.v3.parser.core.models.SwaggerParseResult;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * Reads an OpenAPI 3 document (with swagger-parser) into {@link ApiOperation}s: each operation's
 * tool name, description and input JSON schema, its parameters and body. Schemas are the
 * document's, with {@code $ref}s to its components inlined (a recursive one once, then left as an
 * open object), OpenAPI 3.0's {@code nullable} written as a JSON Schema type union, and the
 * keywords JSON Schema does not know dropped.
 */
final class OpenApiReader {

  /** Tool names: what both MCP and OpenAI accept ({@code ^[a-zA-Z0-9_-]{1,64}$}). */
  static final int MAX_NAME_LENGTH = 64;

  private static final Set<String> OPENAPI_ONLY =
      Set.of("nullable", "discriminator", "xml", "externalDocs", "exampleSetFlag", "example");

  private final ObjectMapper schemas;
  private final Map<String, JsonNode> components = new LinkedHashMap<>();

  private OpenApiReader(OpenAPI api) {
    this.schemas = api.getSpecVersion() == SpecVersion.V31 ? Json31.mapper() : Json.mapper();
    Components parts = api.getComponents();
    if (parts != null && parts.getSchemas() != null) {
      parts.getSchemas().forEach((name, schema) -> components.put(name, tree(schema)));
    }
  }

  /** What reading found: the operations made into tools, and those left out and why. */
  record Result(List<ApiOperation> operations, List<String> unsupported, @Nullable String server) {}

  /** Parses the document's text (JSON or YAML). */
  static OpenAPI parseContents(String document) {
    return parsed(
        new OpenAPIV3Parser().readContents(document, null, options()), () -> "the document");
  }

  /** Parses the document at a file path or URL the parser reads itself (relative refs resolve). */
  static OpenAPI parseLocation(String location) {
    return parsed(new OpenAPIV3Parser().readLocation(location, null, options()), () -> location);
  }

  private static ParseOptions options() {
    ParseOptions options = new ParseOptions();
    options.setResolve(true);
    return options;
  }

  private static OpenAPI parsed(@Nullable SwaggerParseResult result, Supplier<String> what) {
    OpenAPI api = result == null ? null : result.getOpenAPI();
    if (api == null || api.getOpenapi() == null || !api.getOpenapi().startsWith("3.")) {
      List<String> messages = result == null ? List.of() : result.getMessages();
      throw new IllegalArgumentException(
          what.get()
              + " is not an OpenAPI 3 document"
              + (messages == null || messages.isEmpty() ? "" : ": " + String.join("; ", messages)));
    }
    if (api.getPaths() == null || api.getPaths().isEmpty()) {
      throw new IllegalArgumentException(what.get() + " has no paths: there is nothing to call");
    }
    return api;
  }

  /** The operations of {@code api}, in document order. */
  static Result read(OpenAPI api) {
    return new OpenApiReader(api).operations(api);
  }

  private Result operations(OpenAPI api) {
    List<ApiOperation> operations = new ArrayList<>();
    List<String> unsupported = new ArrayList<>();
    Set<String> names = new HashSet<>();
    for (Map.Entry<String, PathItem> path : api.getPaths().entrySet()) {
      PathItem item = path.getValue();
      for (Map.Entry<PathItem.HttpMethod, Operation> entry : item.readOperationsMap().entrySet()) {
        String method = entry.getKey().name();
        Operation operation = entry.getValue();
        String label = method + " " + path.getKey();
        try {
          operations.add(operation(api, path.getKey(), item, method, operation, names));
        } catch (UnsupportedOperationException e) {
          unsupported.add(label + ": " + e.getMessage());
        }
      }
    }
    String server = null;
    if (api.getServers() != null && !api.getServers().isEmpty()) {
      server = api.getServers().get(0).getUrl();
    }
    return new Result(List.copyOf(operations), List.copyOf(unsupported), server);
  }

  private ApiOperation operation(
      OpenAPI api,
      String path,
      PathItem item,
      String method,
      Operation operation,
      Set<String> names) {
    Map<String, Parameter> byKey = new LinkedHashMap<>();
    for (List<Parameter> level : Arrays.asList(item.getParameters(), operation.getParameters())) {
      if (level == null) {
        continue;
      }
      for (Parameter parameter : level) {
        Parameter resolved = resolve(api, parameter);
        byKey.put(resolved.getIn() + ":" + resolved.getName(), resolved);
      }
    }
    ObjectNode properties = JsonNodeFactory.instance.objectNode();
    ArrayNode required = JsonNodeFactory.instance.arrayNode();
    List<ApiOperation.Param> params = new ArrayList<>();
    for (Parameter parameter : byKey.values()) {
      ApiOperation.Location in = location(parameter);
      String name = parameter.getName();
      if (properties.has(name)) {
        throw new UnsupportedOperationException(
            "two parameters are named '" + name + "' (in different places)");
      }
      JsonNode schema =
          parameter.getSchema() != null ? schema(parameter.getSchema()) : mediaSchema(parameter);
      boolean exploded =
          parameter.getExplode() == null
              ? parameter.getStyle() == null || parameter.getStyle() == Parameter.StyleEnum.FORM
              : parameter.getExplode();
      if (in != ApiOperation.Location.QUERY && "array".equals(schema.path("type").asText())) {
        exploded = false;
      }
      if ("object".equals(schema.path("type").asText())) {
        throw new UnsupportedOperationException(
            "parameter '" + name + "' is an object (only scalars and arrays are)");
      }
      ObjectNode property = schema.deepCopy();
      if (parameter.getDescription() != null && !property.has("description")) {
        property.put("description", parameter.getDescription());
      }
      properties.set(name, property);
      boolean isRequired =
          in == ApiOperation.Location.PATH || Boolean.TRUE.equals(parameter.getRequired());
      if (isRequired) {
        required.add(name);
      }
      params.add(new ApiOperation.Param(name, in, isRequired, exploded));
    }
    String bodyProperty = null;
    String bodyType = null;
    boolean bodyRequired = false;
    RequestBody body = resolve(api, operation.getRequestBody());
    if (body != null && body.getContent() != null && !body.getContent().isEmpty()) {
      Map.Entry<String, MediaType> json = jsonContent(body);
      if (json == null) {
        throw new UnsupportedOperationException(
            "request body as " + String.join(", ", body.getContent().keySet()) + " (only JSON is)");
      }
      bodyProperty = properties.has("body") ? "requestBody" : "body";
      if (properties.has(bodyProperty)) {
        throw new UnsupportedOperationException("parameters named 'body' and 'requestBody'");
      }
      bodyType = json.getKey();
      ObjectNode bodySchema =
          json.getValue().getSchema() == null
              ? JsonNodeFactory.instance.objectNode()
              : schema(json.getValue().getSchema()).deepCopy();
      if (body.getDescription() != null && !bodySchema.has("description")) {
        bodySchema.put("description", body.getDescription());
      }
      properties.set(bodyProperty, bodySchema);
      bodyRequired = Boolean.TRUE.equals(body.getRequired());
      if (bodyRequired) {
        required.add(bodyProperty);
      }
    }
    ObjectNode input = JsonNodeFactory.instance.objectNode();
    input.put("type", "object");
    input.set("properties", properties);
    if (!required.isEmpty()) {
      input.set("required", required);
    }
    String name = uniqueName(toolName(operation.getOperationId(), method, path), names);
    return new ApiOperation(
        name,
        description(operation, method, path),
        method,
        path,
        List.copyOf(params),
        bodyProperty,
        bodyType,
        bodyRequired,
        input);
  }

  private static ApiOperation.Location location(Parameter parameter) {
    String in = parameter.getIn() == null ? "" : parameter.getIn().toLowerCase(Locale.ROOT);
    return switch (in) {
      case "path" -> ApiOperation.Location.PATH;
      case "query" -> ApiOperation.Location.QUERY;
      case "header" -> ApiOperation.Location.HEADER;
      default ->
          throw new UnsupportedOperationException(
              "parameter '" + parameter.getName() + "' in " + in + " (path, query and header are)");
    };
  }

  private JsonNode mediaSchema(Parameter parameter) {
    if (parameter.getContent() != null) {
      for (MediaType media : parameter.getContent().values()) {
        if (media.getSchema() != null) {
          return schema(media.getSchema());
        }
      }
    }
    return JsonNodeFactory.instance.objectNode().put("type", "string");
  }

  private static Map.@Nullable Entry<String, MediaType> jsonContent(RequestBody body) {
    for (Map.Entry<String, MediaType> entry : body.getContent().entrySet()) {
      String type = entry.getKey().toLowerCase(Locale.ROOT);
      if (type.startsWith("application/json") || type.contains("+json") || type.equals("*/*")) {
        return entry;
      }
    }
    return null;
  }

  private static String description(Operation operation, String method, String path) {
    String summary = operation.getSummary();
    String details = operation.getDescription();
    if (summary != null && details != null && !details.equals(summary)) {
      return summary.strip() + "\n\n" + details.strip();
    }
    if (summary != null) {
      return summary.strip();
    }
    if (details != null) {
      return details.strip();
    }
    return method + " " + path;
  }

  /** The operation id, or method and path, in the characters and length tool names allow. */
  static String toolName(@Nullable String operationId, String method, String path) {
    String raw =
        operationId != null && !operationId.isBlank()
            ? operationId
            : method.toLowerCase(Locale.ROOT) + "_" + path;
    String name =
        raw.replaceAll("[^A-Za-z0-9_-]+", "_").replaceAll("_{2,}", "_").replaceAll("^_|_$", "");
    if (name.isEmpty()) {
      name = method.toLowerCase(Locale.ROOT);
    }
    return name.length() > MAX_NAME_LENGTH ? name.substring(0, MAX_NAME_LENGTH) : name;
  }

  private static String uniqueName(String name, Set<String> taken) {
    String candidate = name;
    for (int n = 2; !taken.add(candidate); n++) {
      String suffix = "_" + n;
      candidate =
          name.substring(0, Math.min(name.length(), MAX_NAME_LENGTH - suffix.length())) + suffix;
    }
    return candidate;
  }

  @SuppressWarnings("unchecked")
  private static <T> @Nullable T resolve(OpenAPI api, @Nullable T part) {
    String ref =
        part instanceof Parameter p
            ? p.get$ref()
            : part instanceof RequestBody b ? b.get$ref() : null;
    if (ref == null) {
      return part;
    }
    String name = ref.substring(ref.lastIndexOf('/') + 1);
    Components components = api.getComponents();
    Object found = null;
    if (components != null && part instanceof Parameter && components.getParameters() != null) {
      found = components.getParameters().get(name);
    } else if (components != null && components.getRequestBodies() != null) {
      found = components.getRequestBodies().get(name);
    }
    if (found == null) {
      throw new UnsupportedOperationException("unresolved reference " + ref);
    }
    return (T) found;
  }

  private JsonNode tree(Schema<?> schema) {
    return schemas.valueToTree(schema);
  }

  /** A JSON Schema for {@code schema}: refs inlined, OpenAPI's own keywords translated. */
  ObjectNode schema(Schema<?> schema) {
    return clean(tree(schema), new ArrayList<>());
  }

  private ObjectNode clean(JsonNode node, List<String> refStack) {
    if (!node.isObject()) {
      return JsonNodeFactory.instance.objectNode();
    }
    ObjectNode source = (ObjectNode) node;
    JsonNode ref = source.get("$ref");
    if (ref != null && ref.isTextual()) {
      String name = ref.asText().substring(ref.asText().lastIndexOf('/') + 1);
      JsonNode target = components.get(name);
      if (target == null) {
        throw new UnsupportedOperationException("unresolved reference " + ref.asText());
      }
      if (refStack.contains(name) || refStack.size() > 32) {
        // A recursive schema: the inner occurrence stays an open object rather than expanding for
        // ever.
        ObjectNode open = JsonNodeFactory.instance.objectNode();
        open.put("type", "object");
        open.put("description", "a " + name + " (recursive)");
        return open;
      }
      refStack.add(name);
      ObjectNode inlined = clean(target, refStack);
      refStack.remove(refStack.size() - 1);
      return inlined;
    }
    ObjectNode out = JsonNodeFactory.instance.objectNode();
    for (Map.Entry<String, JsonNode> field : source.properties()) {
      String key = field.getKey();
      JsonNode value = field.getValue();
      if (OPENAPI_ONLY.contains(key) || key.startsWith("x-")) {
        continue;
      }
      switch (key) {
        case "properties", "patternProperties", "$defs", "definitions" -> {
          ObjectNode map = JsonNodeFactory.instance.objectNode();
          value.properties().forEach(e -> map.set(e.getKey(), clean(e.getValue(), refStack)));
          out.set(key, map);
        }
        case "items",
            "additionalProperties",
            "not",
            "contains",
            "propertyNames",
            "if",
            "then",
            "else" ->
            out.set(key, value.isObject() ? clean(value, refStack) : value);
        case "allOf", "anyOf", "oneOf", "prefixItems" -> {
          ArrayNode list = JsonNodeFactory.instance.arrayNode();
          value.forEach(element -> list.add(clean(element, refStack)));
          out.set(key, list);
        }
        default -> out.set(key, value);
      }
    }
    if (source.path("nullable").asBoolean(false) && out.path("type").isTextual()) {
      ArrayNode types = JsonNodeFactory.instance.arrayNode();
      types.add(out.get("type").asText()).add("null");
      out.set("type", types);
    }
    return out;
  }
}
