// mjml@4 ships no type declarations; this covers the one call touchbase makes.
declare module 'mjml' {
  interface MjmlError {
    line: number;
    message: string;
    tagName: string;
    formattedMessage: string;
  }

  interface MjmlOptions {
    validationLevel?: 'strict' | 'soft' | 'skip';
    keepComments?: boolean;
    fonts?: Record<string, string>;
  }

  interface MjmlResult {
    html: string;
    errors: MjmlError[];
  }

  function mjml2html(input: string, options?: MjmlOptions): MjmlResult;
  export default mjml2html;
}
