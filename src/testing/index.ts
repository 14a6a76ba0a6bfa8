// galaxy-gateway-emulator/testing: the testing kit (Node).
export { startTestEmulator, type PushedEvent, type TestEmulator, type TestEmulatorOptions } from "./test-emulator.js";
export { ControlPlaneError, type CollectionHandle, type CollectionItem } from "./control-plane.js";
export type { JournalFilter } from "./journal.js";
export type { JournalEntry, JournalStage, MailboxMessage, EmulatorConfig } from "../shared/protocol.js";
