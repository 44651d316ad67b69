// The `express4` alias (npm:express@4) is typed like Express itself: the adapter only uses what both share.
declare module 'express4' {
  import express = require('express');
  export = express;
}
