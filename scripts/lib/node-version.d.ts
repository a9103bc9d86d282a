/** Types of node-version.js (plain JavaScript so that it runs on any Node; see there). */
export declare const NODE_RANGE: string;
export declare function satisfies(version: string, range: string): boolean;
export declare function nodeVersionProblem(version?: string, range?: string, execPath?: string): string | undefined;
export declare function exitUnlessSupportedNode(): void;
