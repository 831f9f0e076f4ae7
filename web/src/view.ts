export interface View {
  dispose(): void;
}
