import { Controller, Get, Header } from '@nestjs/common';
import { SAMPLE_PAGE_HTML } from './sample-page.html';

/** Serves the demo page: watch a stream live through EventSource and publish to it. */
@Controller()
export class PageController {
  @Get()
  @Header('Content-Type', 'text/html; charset=utf-8')
  @Header('Cache-Control', 'no-store')
  page(): string {
    return SAMPLE_PAGE_HTML;
  }
}
