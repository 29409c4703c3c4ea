import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';

/** A uPlot chart, made again when its data changes and removed with the component. */
export function Chart(props: {
  label: string;
  options: Omit<uPlot.Options, 'width' | 'height'>;
  data: uPlot.AlignedData;
}) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = box.current!;
    const plot = new uPlot({ ...props.options, width: Math.max(280, el.clientWidth), height: 220 }, props.data, el);
    const resize = () => plot.setSize({ width: Math.max(280, el.clientWidth), height: 220 });
    window.addEventListener('resize', resize);
    return () => {
      window.removeEventListener('resize', resize);
      plot.destroy();
    };
  }, [props.data, props.options]);
  return <div class="chart" role="img" aria-label={props.label} ref={box} />;
}

export const bars = uPlot.paths.bars!({ size: [0.7, 40] });
/** Two series' bars side by side in each slot: the first left of centre, the second right. */
export const pairedBars = [
  uPlot.paths.bars!({ size: [0.35, 20], align: -1 }),
  uPlot.paths.bars!({ size: [0.35, 20], align: 1 }),
] as const;
