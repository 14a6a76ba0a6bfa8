// gRPC server reflection (grpc.reflection.v1 and v1alpha ServerReflectionInfo), so that buf curl,
// grpcurl, grpcui, Postman or Kreya can discover the gateway's API without a copy of its protos.
// Everything is answered from the generated descriptors (each generated `file_…` carries its
// FileDescriptorProto): list services, file by filename, file containing a symbol or an extension,
// extension numbers of a type. A file goes out with its transitive imports, each import at most once
// per stream (the spec allows leaving out what the stream has already carried).
// Not a galaxy call: unsigned, not journaled.
import { create, createRegistry, fromBinary, toBinary, type DescFile, type DescService, type Registry } from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema } from "@bufbuild/protobuf/wkt";
import { Code, type ConnectRouter } from "@connectrpc/connect";
import * as v1 from "../../shared/gen/grpc/reflection/v1/reflection_pb.js";
import * as v1alpha from "../../shared/gen/grpc/reflection/v1alpha/reflection_pb.js";

type Answer = v1.ServerReflectionResponse["messageResponse"];

/** The descriptors of the served services, their files and everything those import. */
class ReflectionIndex {
  readonly serviceNames: string[];
  private readonly files = new Map<string, DescFile>();
  private readonly registry: Registry;

  constructor(services: readonly DescService[]) {
    this.serviceNames = services.map((s) => s.typeName);
    const visit = (file: DescFile) => {
      if (this.files.has(file.proto.name)) return;
      this.files.set(file.proto.name, file);
      file.dependencies.forEach(visit);
    };
    for (const service of services) visit(service.file);
    this.registry = createRegistry(...this.files.values());
  }

  file(name: string): DescFile | undefined {
    return this.files.get(name);
  }

  /** The file declaring a fully-qualified type, service, method or field name. */
  fileOfSymbol(symbol: string): DescFile | undefined {
    const found = this.registry.get(symbol);
    if (found) return found.file;
    const dot = symbol.lastIndexOf(".");
    const parent = dot > 0 ? this.registry.get(symbol.slice(0, dot)) : undefined;
    const member = symbol.slice(dot + 1);
    if (parent?.kind === "service" && parent.methods.some((m) => m.name === member)) return parent.file;
    if (parent?.kind === "message" && (parent.fields.some((f) => f.name === member) || parent.oneofs.some((o) => o.name === member))) {
      return parent.file;
    }
    return undefined;
  }

  fileOfExtension(extendee: string, number: number): DescFile | undefined {
    const message = this.registry.getMessage(extendee);
    return message ? this.registry.getExtensionFor(message, number)?.file : undefined;
  }

  /** undefined when the type is unknown. */
  extensionNumbers(extendee: string): number[] | undefined {
    if (!this.registry.getMessage(extendee)) return undefined;
    return [...this.registry].flatMap((d) => (d.kind === "extension" && d.extendee.typeName === extendee ? [d.number] : []));
  }
}

/** One reflection stream: answers each request in turn, remembering which files it has sent. */
async function* reflectionStream(index: ReflectionIndex, requests: AsyncIterable<v1.ServerReflectionRequest>): AsyncGenerator<v1.ServerReflectionResponse> {
  const sent = new Set<string>();
  const files = (file: DescFile | undefined, notFound: string): Answer => {
    if (!file) return error(Code.NotFound, notFound);
    const out: DescFile[] = [file];
    const visit = (f: DescFile) => {
      for (const dep of f.dependencies) {
        if (sent.has(dep.proto.name) || out.includes(dep)) continue;
        out.push(dep);
        visit(dep);
      }
    };
    visit(file);
    for (const f of out) sent.add(f.proto.name);
    return {
      case: "fileDescriptorResponse",
      value: create(v1.FileDescriptorResponseSchema, { fileDescriptorProto: out.map((f) => toBinary(FileDescriptorProtoSchema, f.proto)) }),
    };
  };
  for await (const request of requests) {
    const { case: kind, value } = request.messageRequest;
    let answer: Answer;
    switch (kind) {
      case "listServices":
        answer = {
          case: "listServicesResponse",
          value: create(v1.ListServiceResponseSchema, { service: index.serviceNames.map((name) => ({ name })) }),
        };
        break;
      case "fileByFilename":
        answer = files(index.file(value), `no file ${value}`);
        break;
      case "fileContainingSymbol":
        answer = files(index.fileOfSymbol(value), `no symbol ${value}`);
        break;
      case "fileContainingExtension":
        answer = files(
          index.fileOfExtension(value.containingType, value.extensionNumber),
          `no extension ${value.extensionNumber} of ${value.containingType}`,
        );
        break;
      case "allExtensionNumbersOfType": {
        const numbers = index.extensionNumbers(value);
        answer = numbers
          ? { case: "allExtensionNumbersResponse", value: create(v1.ExtensionNumberResponseSchema, { baseTypeName: value, extensionNumber: numbers }) }
          : error(Code.NotFound, `no type ${value}`);
        break;
      }
      default:
        answer = error(Code.InvalidArgument, "the request names no question");
    }
    yield create(v1.ServerReflectionResponseSchema, { validHost: request.host, originalRequest: request, messageResponse: answer });
  }
}

function error(code: Code, message: string): Answer {
  return { case: "errorResponse", value: create(v1.ErrorResponseSchema, { errorCode: code, errorMessage: message }) };
}

/**
 * v1alpha is v1 under another package name: the same messages with the same field numbers. Its
 * requests and answers are translated through their wire bytes, so one implementation serves both.
 */
async function* asV1(requests: AsyncIterable<v1alpha.ServerReflectionRequest>): AsyncGenerator<v1.ServerReflectionRequest> {
  for await (const request of requests) yield fromBinary(v1.ServerReflectionRequestSchema, toBinary(v1alpha.ServerReflectionRequestSchema, request));
}

/** Reflection over `services` (the reflection services themselves are added). */
export function reflectionRoutes(services: readonly DescService[]): (router: ConnectRouter) => void {
  const index = new ReflectionIndex([...services, v1.ServerReflection, v1alpha.ServerReflection]);
  return (router) => {
    router.service(v1.ServerReflection, { serverReflectionInfo: (requests) => reflectionStream(index, requests) });
    router.service(v1alpha.ServerReflection, {
      async *serverReflectionInfo(requests) {
        for await (const answer of reflectionStream(index, asV1(requests))) {
          yield fromBinary(v1alpha.ServerReflectionResponseSchema, toBinary(v1.ServerReflectionResponseSchema, answer));
        }
      },
    });
  };
}
